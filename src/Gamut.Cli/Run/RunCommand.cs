using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Halt;
using Gamut.Cli.Run.Inputs;
using Gamut.Cli.Run.JobLog;
using Gamut.Cli.Run.Options;
using Gamut.Cli.Run.Output;
using Gamut.Cli.Run.Progress;
using Gamut.Cli.Run.Signals;
using Gamut.Cli.Run.Templates;

namespace Gamut.Cli.Run;

/// <summary>
/// <c>gamut run</c>: GNU parallel's interface. Parses the command line, wires the front end (inputs, template,
/// output, joblog, halt, progress) to a backend, runs the scheduler, and turns the result into parallel's exit
/// status. The backend is the only part that knows where jobs run; <see cref="CreateBackend"/> is the hook for
/// another one (Redis workers).
/// </summary>
internal static class RunCommand
{
    /// <summary>Exit status for errors that are not job failures, as in GNU parallel.</summary>
    public const int OtherError = 255;

    public static int Execute(IReadOnlyList<string> args, Func<RunOptions, IJobBackend>? createBackend = null)
    {
        RunOptions options;
        try
        {
            options = RunOptionsParser.Parse(args);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }

        if (options.ShowHelp)
        {
            Console.Out.Write(Usage.RunText);
            return 0;
        }

        if (options.ShowVersion)
        {
            Console.Out.WriteLine($"gamut {Usage.Version}");
            return 0;
        }

        try
        {
            return Run(options, createBackend ?? CreateBackend);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
    }

    /// <summary>The local backend: each job a child process in its own process group.</summary>
    public static IJobBackend CreateBackend(RunOptions options) =>
        Environment.GetEnvironmentVariable("GAMUT_RUN_EXECUTOR") == "threads"
            ? new ExecutorBackend(Gamut.Executors.Executors.Threads(options.Jobs.Resolve(Environment.ProcessorCount)))
            : new ProcessesBackend();

    private static int Run(RunOptions options, Func<RunOptions, IJobBackend> createBackend)
    {
        if (options.Command.Count == 0 && options.Inputs.Count == 0 && !Console.IsInputRedirected)
        {
            throw new UsageException("missing command: give a command and inputs, e.g. gamut run echo ::: a b c");
        }

        var maxJobs = options.Jobs.Resolve(Environment.ProcessorCount);
        var shell = ChooseShell();
        using var plan = new InputPlan(options, Console.OpenStandardInput());
        var direct = IsBourneShell(shell) ? new DirectExec(ProgramLocator.Find) : null;
        var factory = new JobFactory(options, shell, direct);

        var history = options.Resume || options.ResumeFailed
            ? JobLogHistory.Read(options.JobLog!, failedOnly: options.ResumeFailed)
            : JobLogHistory.Empty;
        using var log = options.JobLog is null || options.DryRun
            ? null
            : JobLogWriter.Open(options.JobLog, append: options.Resume || options.ResumeFailed);

        using var streams = new OutputStreams(new DescriptorStream(1), new DescriptorStream(2));
        var backend = options.DryRun ? new DryRunBackend() : createBackend(options);
        var outputMode = backend.CanStream ? options.Output : OutputMode.Group;
        IRunOutput output = options.Json ? new JsonOutput(streams, options.KeepOrder)
            : options.DryRun ? new GroupedOutput(streams, options.KeepOrder, verbose: false)
            : options.KeepOrder && outputMode == OutputMode.LineBuffer ? new GroupedOutput(streams, keepOrder: true, options.Verbose)
            : outputMode switch
            {
                OutputMode.LineBuffer => new LineBufferedOutput(streams, options.Verbose),
                OutputMode.Ungroup => new UngroupedOutput(streams, options.Verbose),
                _ => new GroupedOutput(streams, options.KeepOrder, options.Verbose),
            };

        // Everything is read first when the total matters before the first job (shuffling, percentages, ETA).
        // Values given on the command line are in memory already: listing them costs nothing and gives the total.
        var onlyArguments = options.Inputs.Count > 0 && options.Inputs.All(i => i.Kind == InputSourceKind.Arguments);
        var readAllFirst = onlyArguments || options.Shuffle || options.Halt.Percent is not null || options.Bar || options.Eta;
        Exception? inputError = null;
        IJobInputs inputs;
        long total = -1;
        if (readAllFirst)
        {
            var all = plan.Records().ToList();
            if (options.Shuffle)
            {
                Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
            }

            total = all.Count;
            inputs = new ListedInputs(all);
        }
        else
        {
            inputs = new StreamedInputs(plan.Records(), e => inputError = e);
        }

        var halt = new HaltPolicy(options.Halt, () => total >= 0 ? total : inputs.Completed ?? 0);
        using var progress = ProgressFactory.Create(options, maxJobs);
        if (total >= 0)
        {
            progress.SetTotal(total);
        }

        void Warn(string message)
        {
            lock (streams.Gate)
            {
                streams.Write(true, System.Text.Encoding.UTF8.GetBytes($"gamut: {message}\n"));
                streams.Flush();
            }
        }

        var scheduler = new JobScheduler(options, maxJobs, factory, backend, output, log, history, halt, progress, Warn);
        streams.StdoutBroken += () => scheduler.RequestStop(StopReason.StdoutClosed);
        using var signals = new StopSignals(scheduler);
        try
        {
            scheduler.RunAsync(inputs).GetAwaiter().GetResult();
        }
        finally
        {
            inputs.Dispose();
            backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (inputError is UsageException usage)
        {
            throw usage;
        }

        if (inputError is not null)
        {
            Warn($"reading input failed: {inputError.Message}");
            return OtherError;
        }

        return scheduler.Stopped switch
        {
            StopReason.Signal => 128 + scheduler.StopSignal,
            StopReason.StdoutClosed => 128 + 13,
            _ => halt.ExitStatus() & 0xFF,
        };
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"gamut run: {message}");
        Console.Error.WriteLine("Usage: gamut run [OPTIONS] COMMAND [ARGS...] ::: INPUTS...   (see 'gamut run --help')");
        return OtherError;
    }

    private static string ChooseShell()
    {
        var shell = Environment.GetEnvironmentVariable("PARALLEL_SHELL");
        if (string.IsNullOrEmpty(shell))
        {
            shell = Environment.GetEnvironmentVariable("SHELL");
        }

        if (string.IsNullOrEmpty(shell))
        {
            shell = "/bin/sh";
        }

        var found = shell.Contains('/') ? (ProgramLocator.IsExecutableFile(shell) ? shell : null) : ProgramLocator.Find(shell);
        return found ?? throw new UsageException($"shell '{shell}' not found (set PARALLEL_SHELL or SHELL)");
    }

    private static bool IsBourneShell(string shell) =>
        Path.GetFileName(shell) is "sh" or "bash" or "dash" or "ksh" or "mksh" or "zsh" or "ash" or "yash" or "posh";
}
