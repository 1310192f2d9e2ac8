using Gamut.Coordination;

namespace Gamut.Tests.Coordination;

public sealed class AsyncEventTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Setting_the_event_releases_every_waiter()
    {
        var ready = new AsyncEvent();
        var waiters = Enumerable.Range(0, 10).Select(_ => ready.WaitAsync().AsTask()).ToList();
        await Task.Delay(10);
        Assert.All(waiters, w => Assert.False(w.IsCompleted));

        ready.Set();

        await Task.WhenAll(waiters).WaitAsync(HangGuard);
        Assert.True(ready.IsSet);
    }

    [Fact]
    public async Task A_reset_event_makes_later_waiters_wait_again()
    {
        var ready = new AsyncEvent(initiallySet: true);
        await ready.WaitAsync();

        ready.Reset();

        Assert.False(ready.IsSet);
        Assert.False(await ready.WaitAsync(TimeSpan.FromMilliseconds(20)));
        ready.Set();
        Assert.True(await ready.WaitAsync(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_event_is_unchanged()
    {
        var ready = new AsyncEvent();
        using var cts = new CancellationTokenSource();
        var waiting = ready.WaitAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(ready.IsSet);
    }

    [Fact]
    public async Task Set_and_reset_racing_with_waiters_never_lose_a_set()
    {
        var ready = new AsyncEvent();
        for (var round = 0; round < 200; round++)
        {
            var waiter = ready.WaitAsync().AsTask();
            var setter = Task.Run(ready.Set);
            await setter;
            await waiter.WaitAsync(HangGuard);
            ready.Reset();
        }
    }
}
