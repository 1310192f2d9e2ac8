using System.Diagnostics;

namespace Gamut.Loop;

public sealed partial class EventLoop
{
    private readonly TimerHeap _timers;

    // The loop's clock, read once per turn (as libuv does): timers scheduled by the callbacks of one turn share
    // one "now", so their order is their delays' order.
    private long _turnTime = Now();

    /// <summary>Runs <paramref name="callback"/> on the loop once <paramref name="delay"/> has passed. From any thread.</summary>
    /// <param name="delay">How long to wait (zero or more; resolution about a millisecond).</param>
    /// <param name="callback">The callback.</param>
    /// <returns>The timer; cancel it to stop it from firing.</returns>
    public LoopTimer CallLater(TimeSpan delay, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return Schedule(new LoopTimer(this, SchedulingTime() + ToTicks(delay), 0, callback));
    }

    /// <summary>
    /// Runs <paramref name="callback"/> on the loop every <paramref name="interval"/>, first after one interval. From
    /// any thread. The rate is fixed (due times are multiples of the interval from the start); when the loop falls
    /// behind, missed runs are skipped, not bunched.
    /// </summary>
    /// <param name="interval">The interval (positive).</param>
    /// <param name="callback">The callback.</param>
    /// <returns>The timer; cancel it to stop it.</returns>
    public LoopTimer CallEvery(TimeSpan interval, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var period = Math.Max(1, ToTicks(interval));
        return Schedule(new LoopTimer(this, SchedulingTime() + period, period, callback));
    }

    /// <summary>Waits <paramref name="delay"/> on the loop's timers (for code on the loop: resumes on the loop).</summary>
    /// <param name="delay">How long.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task Delay(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = CallLater(delay, () => done.TrySetResult());
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(_ =>
            {
                timer.Cancel();
                done.TrySetCanceled(cancellationToken);
            }, null);
            _ = done.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return done.Task;
    }

    internal void RemoveTimer(LoopTimer timer)
    {
        if (IsOnLoopThread)
        {
            _timers.Remove(timer);
        }
        else if (!_stopped)
        {
            Enqueue(new LoopWork((Action<object?>)(static t => ((LoopTimer)t!).RemoveFromLoop()), timer), throwIfStopped: false);
        }
    }

    private LoopTimer Schedule(LoopTimer timer)
    {
        if (IsOnLoopThread)
        {
            _timers.Add(timer);
        }
        else
        {
            Enqueue(new LoopWork((Action<object?>)(static t => ((LoopTimer)t!).AddTo()), timer), throwIfStopped: true);
        }

        return timer;
    }

    internal void RemoveFromHeap(LoopTimer timer) => _timers.Remove(timer);

    private long SchedulingTime() => IsOnLoopThread ? _turnTime : Now();

    internal void AddTimer(LoopTimer timer)
    {
        if (!timer.Cancelled)
        {
            _timers.Add(timer);
        }
    }

    /// <summary>Fires the timers that are due; returns the milliseconds until the next one (-1: none).</summary>
    private int RunDueTimers()
    {
        if (_timers.Count == 0)
        {
            return -1;
        }

        var now = Now();

        // Timers scheduled by these callbacks wait for the next turn, so a zero-delay timer that reschedules itself
        // cannot hold the loop here.
        for (var budget = _timers.Count; budget > 0 && _timers.Peek() is { } next && next.Due <= now; budget--)
        {
            _timers.Pop();
            if (next.Cancelled)
            {
                continue;
            }

            if (next.Period > 0)
            {
                next.Due += next.Period;
                if (next.Due <= now)
                {
                    next.Due = now + next.Period - ((now - next.Due) % next.Period);
                }

                _timers.Add(next);
            }
            else
            {
                next.Fired = true;
            }

            Invoke(new LoopWork(next.Callback, null));
        }

        if (_timers.Peek() is not { } first)
        {
            return -1;
        }

        var ticks = first.Due - Now();
        if (ticks <= 0)
        {
            return 0;
        }

        // Round up, so the loop never wakes just before a timer is due and spins.
        var ms = (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        return ms > int.MaxValue ? int.MaxValue : (int)ms;
    }

    private static long ToTicks(TimeSpan span)
    {
        var ticks = span.TotalSeconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)Math.Ceiling(ticks);
    }
}
