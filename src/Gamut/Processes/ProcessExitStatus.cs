namespace Gamut.Processes;

/// <summary>
/// How a process ended — the shape of .NET 11's <c>System.Diagnostics.ProcessExitStatus</c>: the exit code,
/// the terminating signal if any, and whether Gamut stopped it.
/// </summary>
/// <param name="ExitCode">The exit code; 128 + the signal number when a signal ended it (as a shell reports it); -1 when unknown.</param>
/// <param name="Signal">The signal that ended the process, if one did.</param>
/// <param name="Canceled">Whether Gamut stopped it (a stop, timeout, cancellation or output limit).</param>
public sealed record ProcessExitStatus(int ExitCode, int? Signal = null, bool Canceled = false)
{
    /// <summary>Whether the process exited on its own with code 0.</summary>
    public bool IsSuccess => ExitCode == 0 && Signal is null;

    /// <summary>"exit code 3", "signal 9 (SIGKILL)".</summary>
    public override string ToString() =>
        Signal is { } s ? $"signal {s} ({Signals.NameOf(s)})" : $"exit code {ExitCode}";
}
