using System.Diagnostics;
using Gamut.Cli.Measure.Report;
using Gamut.Cli.Measure.Sections;
using Spectre.Console;

namespace Gamut.Cli.Measure;

/// <summary>
/// <c>gamut measure</c>: the trade-offs between threads, processes, the event loop and Redis, measured on this
/// machine with Gamut's own executors beside the operating system's raw calls and outside tools. Runs in the JIT
/// host (the process pool's workers and the Redis client need it, as <c>worker</c> and <c>status</c> do).
/// </summary>
internal static class MeasureCommand
{
    public const string Help = """
        Usage: gamut measure [--quick] [--only SECTIONS] [--json] [--html FILE] [--redis URL]

        Measures, on this machine, what the choice of executor costs: starting a thread, a process (posix_spawn,
        System.Diagnostics.Process, Gamut's Command), a pool worker; switching between threads and between processes
        (pipe and futex ping-pong, beside perf bench sched pipe and a C program when they can run here); moving 64 B
        to 64 MiB over a pipe, a Unix socket, shared memory, TCP on loopback and Redis; the per-job overhead of Inline,
        Threads, Loop, Processes and Redis; and the break-even points (CPU-bound: Threads against Processes;
        I/O-bound: the Loop against Threads at 10, 1,000 and 10,000 concurrent waits). Every figure is min / median /
        p99 per operation with its method in one line and the work it did (counted by the peer where there is one).

          --quick          fewer samples (under 20 s; the full run is under 2 minutes)
          --only LIST      some sections: start,switch,ipc,executors,breakeven
          --json           the report as JSON on stdout (no table)
          --html FILE      also write a self-contained page with charts and a recommendation
          --redis URL      include a Redis round trip and a Redis executor (a worker in this process)
          --no-progress    no live progress on stderr (shown only on a terminal anyway)

        Figures depend on the machine's load: it is printed with them. See docs/measure.md.

        """;

    public static int Execute(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0] == "--peer")
        {
            return Peer.RunChild([.. args.Skip(1)]);
        }

        MeasureArgs? parsed;
        try
        {
            parsed = MeasureArgs.Parse(args);
            if (parsed is null)
            {
                Console.Out.Write(Help);
                return 0;
            }

            CheckHtmlTarget(parsed.Html);
            if (parsed.Redis is { } url)
            {
                RedisFigures.CheckUrl(url);
            }
        }
        catch (MeasureUsageException e)
        {
            Console.Error.WriteLine($"gamut measure: {e.Message}");
            Console.Error.WriteLine("Try 'gamut measure --help'.");
            return Run.RunCommand.OtherError;
        }

        return Redis.RedisExit.Run("gamut measure", () => Measure(parsed));
    }

    private static int Measure(MeasureArgs args)
    {
        if (args.Redis is { } url && (args.Wants("ipc") || args.Wants("executors")))
        {
            RedisFigures.CheckReachableAsync(url, CancellationToken.None).GetAwaiter().GetResult();
        }

        var machine = MachineInfo.Now();
        var clock = Stopwatch.StartNew();
        var ctx = RunSections(args);
        machine = machine with { LoadAfter = MachineInfo.Load(), Elapsed = clock.Elapsed };
        var report = new MeasureReport(machine, args.Budget.Name, args.Sections, ctx.Figures, ctx.Skipped, []);
        report = report with { Findings = Analysis.Derive(report) };
        if (args.Html is { } html)
        {
            File.WriteAllText(html, HtmlReport.Render(report));
        }

        if (args.Json)
        {
            using var stdout = Console.OpenStandardOutput();
            JsonReport.Write(report, stdout);
            stdout.Write("\n"u8);
        }
        else
        {
            ConsoleReport.Write(report, Console.Out);
            if (args.Html is { } written)
            {
                Console.Out.WriteLine($"written: {written}");
            }
        }

        return 0;
    }

    private static MeasureContext RunSections(MeasureArgs args)
    {
        var live = args.Progress && !Console.IsErrorRedirected;
        if (!live)
        {
            var quiet = new MeasureContext(args, _ => { });
            RunAll(quiet);
            return quiet;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.Yes });
        MeasureContext? ctx = null;
        console.Progress().AutoClear(true).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(p =>
            {
                var task = p.AddTask("measuring", maxValue: args.Sections.Length);
                ctx = new MeasureContext(args, step =>
                {
                    var section = step.Split(':', 2)[0];
                    task.Value = args.Sections.IndexOf(section);
                    task.Description = Markup.Escape(step);
                });
                RunAll(ctx);
                task.Value = args.Sections.Length;
            });
        return ctx!;
    }

    private static void RunAll(MeasureContext ctx)
    {
        var token = CancellationToken.None;
        foreach (var section in ctx.Args.Sections)
        {
            var run = section switch
            {
                "start" => StartSection.RunAsync(ctx, token),
                "switch" => SwitchSection.RunAsync(ctx, token),
                "ipc" => IpcSection.RunAsync(ctx, token),
                "executors" => ExecutorsSection.RunAsync(ctx, token),
                _ => BreakEvenSection.RunAsync(ctx, token),
            };
            run.GetAwaiter().GetResult();
        }
    }

    private static void CheckHtmlTarget(string? html)
    {
        if (html is null)
        {
            return;
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(html));
        if (dir is not null && !Directory.Exists(dir))
        {
            throw new MeasureUsageException($"--html '{html}': the directory {dir} does not exist");
        }

        if (Directory.Exists(html))
        {
            throw new MeasureUsageException($"--html '{html}' is a directory; give a file name");
        }
    }
}
