namespace Gamut.Pool.Worker;

/// <summary>
/// What the job thread is doing, as the watcher and SIGTERM see it: idle between frames, busy with frame number
/// <see cref="Frames"/>, or terminating. The watcher parks here while the job thread is idle and is woken only from
/// that long wait, so a busy stream of short frames costs no system call for it.
/// </summary>
internal sealed class JobThreadState
{
    private readonly object _lock = new();
    private readonly ManualResetEventSlim _busySignal = new(false, spinCount: 0);
    private volatile bool _busy;
    private volatile bool _watcherParked;
    private volatile bool _terminating;
    private long _frames;

    /// <summary>Whether the job thread runs a frame now.</summary>
    public bool Busy => _busy;

    /// <summary>How many frames the job thread has begun: the same number twice, busy both times, is one long frame.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Whether the worker is being stopped (SIGTERM).</summary>
    public bool Terminating => _terminating;

    /// <summary>The job thread begins a frame; false when the worker is terminating (then it must not run it).</summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_terminating)
            {
                return false;
            }

            _busy = true;
            _frames++;
        }

        // Dekker: each side stores its flag, fences, then reads the other's; one of them sees the other.
        Interlocked.MemoryBarrier();
        if (_watcherParked)
        {
            _busySignal.Set();
        }

        return true;
    }

    /// <summary>The job thread ended its frame; true when the worker was told to terminate meanwhile (then it exits).</summary>
    public bool Leave()
    {
        lock (_lock)
        {
            _busy = false;
            return _terminating;
        }
    }

    /// <summary>Marks the worker terminating; true when the job thread is busy (it exits when its frame ends), false when it is idle (the caller ends the process).</summary>
    public bool Terminate()
    {
        lock (_lock)
        {
            _terminating = true;
            return _busy;
        }
    }

    /// <summary>The watcher waits up to <paramref name="timeout"/> for the job thread to be busy; true when it is.</summary>
    public bool WaitBusy(TimeSpan timeout)
    {
        _busySignal.Reset();
        _watcherParked = true;
        Interlocked.MemoryBarrier();
        var busy = _busy || _busySignal.Wait(timeout);
        _watcherParked = false;
        return busy;
    }
}
