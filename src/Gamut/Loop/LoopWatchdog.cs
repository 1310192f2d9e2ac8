using System.Diagnostics;

namespace Gamut.Loop;

/// <summary>
/// Watches the loop from outside: a thread of its own samples which callback the loop is running, and a callback
/// seen running across samples spanning the threshold is reported once. The loop's cost is two writes per callback;
/// the watchdog's is one look every quarter threshold. It has its own thread, not a timer on the thread pool,
/// because a starved pool is when a blocked loop most needs reporting.
/// </summary>
internal sealed class LoopWatchdog : IDisposable
{
    private readonly EventLoop _loop;
    private readonly long _thresholdTicks;
    private readonly ManualResetEventSlim _stop = new();
    private readonly TimeSpan _period;
    private long _seenSequence = -1;
    private long _seenAt;
    private long _reportedSequence = -1;

    public LoopWatchdog(EventLoop loop, TimeSpan threshold)
    {
        _loop = loop;
        _thresholdTicks = (long)(threshold.TotalSeconds * Stopwatch.Frequency);
        _period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, threshold.Ticks / 4));
        new Thread(Watch) { IsBackground = true, Name = loop.Options.ThreadName + "-watchdog" }.Start();
    }

    public void Dispose() => _stop.Set();

    private void Watch()
    {
        while (!_stop.Wait(_period))
        {
            Sample();
        }

        _stop.Dispose();
    }

    private void Sample()
    {
        var (sequence, callback, state) = _loop.RunningCallback;
        var now = Stopwatch.GetTimestamp();
        if ((sequence & 1) == 0 || sequence != _seenSequence)
        {
            // Idle, or a different callback than last time: start timing it from now (a lower bound).
            _seenSequence = sequence;
            _seenAt = now;
            return;
        }

        var running = now - _seenAt;
        if (running < _thresholdTicks || _reportedSequence == sequence || callback is null)
        {
            return;
        }

        _reportedSequence = sequence;
        _loop.OnBlocked(LoopWork.Describe(callback, state), Stopwatch.GetElapsedTime(_seenAt, now));
    }
}
