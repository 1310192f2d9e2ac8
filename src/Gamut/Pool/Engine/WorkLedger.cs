namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's books: how many accepted units have not yet left, which ones wait out a retry delay, and the moment a
/// closing pool has nothing left (what a drain waits for). Guarded by the pool's lock (<see cref="PoolGate"/>):
/// methods named <c>…Locked</c> are called under it.
/// </summary>
internal sealed class WorkLedger(PoolGate gate)
{
    private readonly HashSet<PoolJob> _waiting = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outstanding;

    /// <summary>Completes once the pool is closed and every accepted unit has left.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Units accepted and not yet gone (queued, waiting, in flight or being settled).</summary>
    public int Outstanding
    {
        get
        {
            lock (gate.Lock)
            {
                return _outstanding;
            }
        }
    }

    /// <summary>The units waiting out a retry delay. Read under the lock.</summary>
    public IReadOnlyCollection<PoolJob> WaitingLocked => _waiting;

    /// <summary>A unit enters the books.</summary>
    public void AcceptLocked() => _outstanding++;

    /// <summary>The unit waits out a retry delay.</summary>
    public void WaitLocked(PoolJob job)
    {
        job.State = PoolJobState.Waiting;
        job.Worker = null;
        _waiting.Add(job);
    }

    /// <summary>The unit's delay is over (or it is being settled).</summary>
    public void StopWaitingLocked(PoolJob job) => _waiting.Remove(job);

    /// <summary>Closes the pool to new work (and, when <paramref name="immediate"/>, to retries and requeues too).</summary>
    public void Close(bool immediate)
    {
        lock (gate.Lock)
        {
            gate.Closed = true;
            gate.Immediate |= immediate;
            CheckDrainedLocked();
        }
    }

    /// <summary>
    /// Takes an answered unit off the books. A unit still queued, waiting or in flight stays (a cancelled job whose
    /// worker has not answered yet leaves when it is answered).
    /// </summary>
    public void Leave(PoolJob? job)
    {
        if (job is null)
        {
            return;
        }

        lock (gate.Lock)
        {
            if (job.State == PoolJobState.Answered)
            {
                GoneLocked(job);
            }
        }
    }

    /// <summary>Delivers a failure to whatever still waits on the unit, and takes it off the books.</summary>
    public void Fail(PoolJob job, Exception error)
    {
        UnitOutcome.DeliverError(job, error);
        Leave(job);
    }

    /// <summary>The unit leaves the books (once).</summary>
    public void GoneLocked(PoolJob job)
    {
        if (job.State == PoolJobState.Gone)
        {
            return;
        }

        job.State = PoolJobState.Gone;
        job.Worker = null;
        _waiting.Remove(job);
        _outstanding--;
        CheckDrainedLocked();
    }

    private void CheckDrainedLocked()
    {
        if (gate.Closed && _outstanding == 0)
        {
            _drained.TrySetResult();
        }
    }
}
