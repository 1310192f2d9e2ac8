namespace Gamut.Pool;

/// <summary>How a worker process ended: its exit code, or the signal that killed it.</summary>
/// <param name="ExitCode">The exit code, when the worker exited by itself.</param>
/// <param name="Signal">The signal number, when a signal ended it (9 for SIGKILL, 6 for SIGABRT, ...).</param>
public sealed record WorkerExit(int? ExitCode, int? Signal)
{
    /// <summary>A short description: "exit code 3", "signal 9 (SIGKILL)".</summary>
    public string Description => Signal is { } s
        ? $"signal {s} ({SignalName(s)}){Hint(s)}"
        : ExitCode is { } c ? $"exit code {c}" : "an unknown cause";

    /// <summary>The conventional name of a signal number on Linux.</summary>
    /// <param name="signal">The number.</param>
    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => $"SIG{signal}",
    };

    /// <inheritdoc/>
    public override string ToString() => Description;

    private static string Hint(int signal) => signal switch
    {
        9 => ": killed from outside, or by the kernel's out-of-memory killer",
        6 => ": the .NET runtime aborted (stack overflow, Environment.FailFast, or an unhandled exception; see its stderr)",
        11 => ": a native crash",
        _ => "",
    };
}
