using System.Diagnostics;
using Gamut.Cli.Run.Options;
using Gamut.Processes;

namespace Gamut.Cli.Run.Semaphore;

/// <summary>
/// <c>gamut sem</c> / <c>gamut run --semaphore</c>: GNU parallel's counting semaphore across shell commands. The
/// command (its words joined with spaces, run by the shell) runs while holding one of <c>-j</c> slots (default 1:
/// a mutex) of the semaphore named by <c>--id</c> (default: the terminal's name, as <c>tty</c> prints it). Without
/// <c>--fg</c> gamut waits for a slot, starts the command in the background still holding it, and returns 0; with
/// <c>--fg</c> it runs the command and returns its status. <c>--wait</c> waits until every command of the
/// semaphore has ended.
/// </summary>
internal static class SemaphoreCommand
{
    private const string ReadyVariable = "GAMUT_SEM_READY";

    public static int Run(RunOptions options)
    {
        var directory = SemaphoreSlots.Directory(options.SemaphoreId ?? TtyName());
        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        try
        {
            if (options.WaitSemaphore && options.Command.Count == 0)
            {
                SemaphoreSlots.WaitForAll(directory, interrupted.Token);
                return 0;
            }

            if (options.Command.Count == 0)
            {
                throw new UsageException("--semaphore needs a command, e.g. gamut sem -j 2 gzip big.log (or --wait)");
            }

            var slots = options.Jobs.Form == JobsSpec.Kind.Cores ? 1 : options.Jobs.Resolve(Environment.ProcessorCount);
            return options.Foreground || Environment.GetEnvironmentVariable(ReadyVariable) is { Length: > 0 }
                ? RunHolding(options, directory, slots, interrupted.Token)
                : StartInBackground(options, interrupted.Token);
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    // Holds a slot while the command runs; tells a waiting parent once the slot is taken.
    private static int RunHolding(RunOptions options, string directory, int slots, CancellationToken cancellationToken)
    {
        using var slot = SemaphoreSlots.Acquire(directory, slots, cancellationToken);
        if (Environment.GetEnvironmentVariable(ReadyVariable) is { Length: > 0 } ready)
        {
            File.WriteAllText(ready, "");
        }

        var shell = Environment.GetEnvironmentVariable("PARALLEL_SHELL") is { Length: > 0 } ps ? ps
            : Environment.GetEnvironmentVariable("SHELL") is { Length: > 0 } s ? s : "/bin/sh";
        var command = Command.Create(shell, ["-c", string.Join(' ', options.Command)])
            .WithEnvironment(ReadyVariable, null)
            .WithThrowOnNonZeroExit(false)
            .WithStandardInput(options.Foreground ? InputSource.Inherit : InputSource.Null)
            .WithStandardOutput(OutputTarget.Inherit)
            .WithStandardError(OutputTarget.Inherit);
        var result = command.RunAsync(cancellationToken).GetAwaiter().GetResult();
        return result.Signal is { } signal ? 128 + signal : result.ExitCode;
    }

    // Starts gamut again to hold the slot and run the command, and returns once it holds the slot.
    private static int StartInBackground(RunOptions options, CancellationToken cancellationToken)
    {
        var ready = Path.Combine(Path.GetTempPath(), $"gamut-sem-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var self = Environment.ProcessPath ?? throw new UsageException("cannot find gamut's own executable to start the command in the background");
        var psi = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gamut.Cli.dll"));
        }

        foreach (var arg in (string[])["run", .. Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a is "run" or "sem")])
        {
            psi.ArgumentList.Add(arg);
        }

        if (!psi.ArgumentList.Contains("--semaphore"))
        {
            psi.ArgumentList.Insert(psi.ArgumentList.IndexOf("run") + 1, "--semaphore");
        }

        psi.Environment[ReadyVariable] = ready;
        using var holder = Process.Start(psi) ?? throw new UsageException("could not start the background command");
        try
        {
            while (!File.Exists(ready))
            {
                if (holder.WaitForExit(20))
                {
                    // It ended before taking a slot (an error it has reported): its status is ours.
                    return File.Exists(ready) ? 0 : holder.ExitCode;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            return 0;
        }
        finally
        {
            File.Delete(ready);
        }
    }

    // What `tty` prints: the terminal on stdin, or "not a tty".
    private static string TtyName()
    {
        try
        {
            var target = new FileInfo("/proc/self/fd/0").LinkTarget;
            return target is not null && target.StartsWith("/dev/", StringComparison.Ordinal) && !target.StartsWith("/dev/null", StringComparison.Ordinal) && Console.IsInputRedirected is false
                ? target
                : "not a tty";
        }
        catch (IOException)
        {
            return "not a tty";
        }
    }
}
