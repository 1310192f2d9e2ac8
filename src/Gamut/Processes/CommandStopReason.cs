namespace Gamut.Processes;

/// <summary>Why Gamut stopped a command (SIGTERM to its group, the grace period, then SIGKILL), if it did.</summary>
public enum CommandStopReason
{
    /// <summary>Not stopped: the command ended on its own.</summary>
    None = 0,

    /// <summary>Stopped by <see cref="ChildProcess.StopAsync"/>, <see cref="ChildProcess.Kill"/> or disposal.</summary>
    Requested,

    /// <summary>Its timeout expired.</summary>
    Timeout,

    /// <summary>The cancellation token passed to it was cancelled.</summary>
    Canceled,

    /// <summary>It wrote more than its output limit.</summary>
    OutputLimit,

    /// <summary>Its standard-input source failed.</summary>
    InputFailed,

    /// <summary>Its output target failed (a stream or line callback threw).</summary>
    OutputFailed,
}
