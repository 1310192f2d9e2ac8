using Gamut.Processes;

namespace Gamut.Loop;

/// <summary>
/// What a child process started on an <see cref="EventLoop"/> (<see cref="EventLoop.StartProcess"/>) does with its
/// events, in the style of Twisted's <c>ProcessProtocol</c>: override what you need. Every method runs on the loop
/// thread, in order: <see cref="OnStarted"/>, the output lines as they complete, then <see cref="OnExited"/> after
/// the last line. None may block.
/// </summary>
public abstract class ProcessProtocol
{
    private ChildProcess? _process;

    /// <summary>The running process: write its input, signal it, stop it. Set before <see cref="OnStarted"/>.</summary>
    protected ChildProcess Process => _process ?? throw new InvalidOperationException("The process has not started yet");

    /// <summary>The process has started.</summary>
    public virtual void OnStarted()
    {
    }

    /// <summary>A line the process wrote to its standard output (UTF-8, without its line ending).</summary>
    /// <param name="line">The line.</param>
    public virtual void OnOutput(string line)
    {
    }

    /// <summary>A line the process wrote to its standard error.</summary>
    /// <param name="line">The line.</param>
    public virtual void OnErrorOutput(string line)
    {
    }

    /// <summary>The process has exited and all its output has been delivered.</summary>
    /// <param name="status">How it ended: exit code, or the signal that ended it.</param>
    public virtual void OnExited(ProcessExitStatus status)
    {
    }

    internal void Attach(ChildProcess process) => _process = process;
}
