namespace Gamut.Processes.Internal;

/// <summary>A started child as a spawner sees it: its pipes, its exit, and signals to it and its group.</summary>
internal interface IChildHandle
{
    int ProcessId { get; }

    /// <summary>The parent's end of the child's stdin pipe, when stdin is a pipe.</summary>
    PipeEnd? StandardInput { get; }

    /// <summary>The parent's end of the child's stdout pipe, when stdout is a pipe.</summary>
    PipeEnd? StandardOutput { get; }

    /// <summary>The parent's end of the child's stderr pipe, when stderr is a pipe.</summary>
    PipeEnd? StandardError { get; }

    /// <summary>Completes when the child has exited and been reaped (never faults).</summary>
    Task<ProcessExitStatus> Exited { get; }

    /// <summary>Sends <paramref name="signal"/> to the child itself; false once it has exited.</summary>
    bool Signal(int signal);

    /// <summary>Sends <paramref name="signal"/> to every process in the child's group; false when the group is empty.</summary>
    bool SignalGroup(int signal);

    /// <summary>Whether the child's process group has no process left.</summary>
    bool IsGroupEmpty();

    /// <summary>The child and its group are done with: release the pidfd and the watchdog's record.</summary>
    void Release();
}
