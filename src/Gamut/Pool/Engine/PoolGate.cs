namespace Gamut.Pool.Engine;

/// <summary>
/// The one lock the pool's parts share, and the few facts they all judge under it. It stays one lock on purpose: a
/// unit is given to a worker (<see cref="PoolDispatcher"/>) only while that worker is ready, and a worker's end
/// (<see cref="WorkerSupervisor"/>) marks it dead and collects its in-flight units; both must be one step under one
/// lock, or a unit could be sent to a worker whose orphans were already collected and be lost. Each part keeps its
/// own state (the dispatcher its queues, the supervisor its start failures); only what both read lives here.
/// </summary>
internal sealed class PoolGate
{
    /// <summary>The lock. Everything below, every <see cref="WorkerHandle"/>'s placement fields and every <see cref="PoolJob"/>'s are guarded by it.</summary>
    public object Lock { get; } = new();

    /// <summary>The pool's workers, in start order: the supervisor adds and removes them, the dispatcher gives them work.</summary>
    public List<WorkerHandle> Workers { get; } = [];

    /// <summary>No new work from callers and no new workers (draining or stopping).</summary>
    public bool Closed { get; set; }

    /// <summary>Stopping now: nothing more is sent, retried or requeued.</summary>
    public bool Immediate { get; set; }

    /// <summary>Set by the supervisor while workers keep dying at start; the dispatcher refuses work with it while no worker is ready.</summary>
    public WorkerCrashLoopException? CrashLoop { get; set; }

    /// <summary>Whether some worker can still answer work (ready, or retiring with work in flight). Call under <see cref="Lock"/>.</summary>
    public bool AnyReadyLocked()
    {
        foreach (var w in Workers)
        {
            if (w.State is WorkerState.Ready or WorkerState.Retiring)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How many workers take work now. Call under <see cref="Lock"/>.</summary>
    public int ReadyCountLocked()
    {
        var ready = 0;
        foreach (var w in Workers)
        {
            if (w.State == WorkerState.Ready)
            {
                ready++;
            }
        }

        return ready;
    }
}
