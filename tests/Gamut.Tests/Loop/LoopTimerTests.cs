using Gamut.Loop;

namespace Gamut.Tests.Loop;

public sealed class LoopTimerTests
{
    private static readonly TimeSpan HangGuard = EventLoopTests.HangGuard;

    [Fact]
    public async Task Timers_fire_on_the_loop_in_due_order_and_ties_in_scheduling_order()
    {
        await using var loop = new EventLoop();
        var fired = new List<(string Name, int Thread)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Post(() =>
        {
            loop.CallLater(TimeSpan.FromMilliseconds(30), () => fired.Add(("c", Environment.CurrentManagedThreadId)));
            loop.CallLater(TimeSpan.FromMilliseconds(10), () => fired.Add(("a", Environment.CurrentManagedThreadId)));
            var tie = TimeSpan.FromMilliseconds(20);
            loop.CallLater(tie, () => fired.Add(("b1", Environment.CurrentManagedThreadId)));
            loop.CallLater(tie, () => fired.Add(("b2", Environment.CurrentManagedThreadId)));
            loop.CallLater(TimeSpan.FromMilliseconds(40), done.SetResult);
        });
        await done.Task.WaitAsync(HangGuard);

        Assert.Equal(["a", "b1", "b2", "c"], fired.Select(f => f.Name));
        Assert.All(fired, f => Assert.Equal(loop.ThreadId, f.Thread));
    }

    [Fact]
    public async Task A_cancelled_timer_never_fires_even_when_cancelled_from_another_thread()
    {
        await using var loop = new EventLoop();
        var fired = 0;
        var timers = Enumerable.Range(0, 100).Select(_ => loop.CallLater(TimeSpan.FromMilliseconds(30), () => Interlocked.Increment(ref fired))).ToList();

        foreach (var timer in timers)
        {
            timer.Cancel();
        }

        await loop.Delay(TimeSpan.FromMilliseconds(80)).WaitAsync(HangGuard);
        Assert.Equal(0, fired);
        Assert.All(timers, t => Assert.False(t.IsActive));
    }

    [Fact]
    public async Task A_repeating_timer_repeats_until_it_cancels_itself()
    {
        await using var loop = new EventLoop();
        var count = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LoopTimer? timer = null;

        timer = loop.CallEvery(TimeSpan.FromMilliseconds(5), () =>
        {
            if (++count == 5)
            {
                timer!.Cancel();
                loop.CallLater(TimeSpan.FromMilliseconds(30), done.SetResult);
            }
        });

        await done.Task.WaitAsync(HangGuard);
        Assert.Equal(5, count);
        Assert.Equal(TimeSpan.FromMilliseconds(5), timer.Interval);
    }

    [Fact]
    public async Task Many_timers_at_random_times_all_fire_in_due_order()
    {
        await using var loop = new EventLoop();
        var fired = new List<long>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var random = new Random(7);

        loop.Post(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var ms = random.Next(0, 50);
                var timer = loop.CallLater(TimeSpan.FromMilliseconds(ms), () => fired.Add(ms));
                if (i % 10 == 0)
                {
                    timer.Cancel();
                    fired.Add(-1);
                }
            }

            loop.CallLater(TimeSpan.FromMilliseconds(60), done.SetResult);
        });
        await done.Task.WaitAsync(HangGuard);

        var times = fired.Where(t => t >= 0).ToList();
        Assert.Equal(18_000, times.Count);
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task A_zero_delay_timer_that_reschedules_itself_does_not_starve_posted_callbacks()
    {
        await using var loop = new EventLoop();
        var spins = 0;
        var stop = false;

        void Spin()
        {
            spins++;
            if (!stop)
            {
                loop.CallLater(TimeSpan.Zero, Spin);
            }
        }

        loop.Post(Spin);
        await loop.SubmitAsync(_ =>
        {
            stop = true;
            return ValueTask.FromResult(true);
        }).WaitAsync(HangGuard);
        Assert.True(spins > 0);
    }

    [Fact]
    public async Task A_loop_delay_can_be_cancelled()
    {
        await using var loop = new EventLoop();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.Delay(TimeSpan.FromHours(1), cts.Token).WaitAsync(HangGuard));
    }
}
