namespace Gamut.Loop;

/// <summary>
/// A callback scheduled on an <see cref="EventLoop"/> (<see cref="EventLoop.CallLater(TimeSpan, Action)"/> or
/// <see cref="EventLoop.CallEvery(TimeSpan, Action)"/>). Cancel it, or dispose it, to stop it from firing.
/// </summary>
public sealed class LoopTimer : IDisposable
{
    private readonly EventLoop _loop;
    private volatile bool _cancelled;

    internal LoopTimer(EventLoop loop, long due, long period, Action callback)
    {
        _loop = loop;
        Due = due;
        Period = period;
        Callback = callback;
    }

    /// <summary>Whether the timer will still fire (once more, or again for a repeating one).</summary>
    public bool IsActive => !_cancelled && (Period > 0 || !Fired);

    /// <summary>The interval of a repeating timer; zero for a one-shot one.</summary>
    public TimeSpan Interval => Period == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)Period / System.Diagnostics.Stopwatch.Frequency);

    internal long Due { get; set; }

    internal long Period { get; }

    internal Action Callback { get; }

    internal long Sequence { get; set; }

    /// <summary>The timer's place in the loop's heap, or -1 when it is not in it.</summary>
    internal int HeapIndex { get; set; } = -1;

    internal bool Cancelled => _cancelled;

    internal bool Fired { get; set; }

    /// <summary>Stops the timer. From any thread; calling it again, or after the timer fired, does nothing.</summary>
    public void Cancel()
    {
        if (_cancelled)
        {
            return;
        }

        _cancelled = true;
        _loop.RemoveTimer(this);
    }

    internal void AddTo() => _loop.AddTimer(this);

    internal void RemoveFromLoop() => _loop.RemoveFromHeap(this);

    /// <summary>Same as <see cref="Cancel"/>.</summary>
    public void Dispose() => Cancel();
}
