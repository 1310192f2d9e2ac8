namespace Gamut.Processes;

/// <summary>
/// A write to <see cref="ChildProcess.StandardInput"/> failed because the child closed its standard input or
/// exited (EPIPE). The .NET runtime ignores SIGPIPE, so this arrives as an error, never as a crash.
/// </summary>
public sealed class StandardInputClosedException : IOException
{
    /// <summary>Creates the error.</summary>
    /// <param name="processId">The child's process id.</param>
    /// <param name="inner">The underlying error.</param>
    public StandardInputClosedException(int processId, Exception? inner = null)
        : base($"Process {processId} closed its standard input (EPIPE)", inner)
    {
        ProcessId = processId;
    }

    /// <summary>The child's process id.</summary>
    public int ProcessId { get; }
}
