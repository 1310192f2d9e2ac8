using Gamut.Coordination;

namespace Gamut.Tests.Coordination;

public sealed class AsyncLockTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Only_one_holder_at_a_time_under_contention_and_fencing_tokens_grow_with_each_holder()
    {
        var gate = new AsyncLock();
        var inside = 0;
        var tokens = new List<long>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await using var lease = await gate.AcquireAsync(HangGuard);
                Assert.Equal(1, Interlocked.Increment(ref inside));
                tokens.Add(lease.FencingToken);
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inside);
            }
        }))).WaitAsync(HangGuard);

        Assert.Equal(1600, tokens.Count);
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task A_wait_past_its_timeout_gives_no_lease_and_the_holder_keeps_the_lock()
    {
        var gate = new AsyncLock();
        var held = await gate.AcquireAsync();

        Assert.Null(await gate.TryAcquireAsync(TimeSpan.FromMilliseconds(30)));
        Assert.Null(await gate.TryAcquireAsync(TimeSpan.Zero));
        await Assert.ThrowsAsync<TimeoutException>(() => gate.AcquireAsync(TimeSpan.FromMilliseconds(10)).AsTask());

        await held.DisposeAsync();
        var next = await gate.TryAcquireAsync(TimeSpan.Zero);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Releasing_twice_does_not_let_two_holders_in()
    {
        var gate = new AsyncLock();
        var first = await gate.AcquireAsync();
        await first.DisposeAsync();
        var second = await gate.AcquireAsync();

        await first.DisposeAsync();

        Assert.Null(await gate.TryAcquireAsync(TimeSpan.Zero));
        await second.DisposeAsync();
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_does_not_take_the_lock()
    {
        var gate = new AsyncLock();
        var held = await gate.AcquireAsync();
        using var cts = new CancellationTokenSource();
        var waiting = gate.AcquireAsync(cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await held.DisposeAsync();

        Assert.NotNull(await gate.TryAcquireAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task Waiters_get_the_lock_in_the_order_they_asked()
    {
        var gate = new AsyncLock();
        var held = await gate.AcquireAsync();
        var order = new List<int>();
        var waiters = Enumerable.Range(0, 5).Select(i => Waiter(i)).ToList();

        await held.DisposeAsync();
        await Task.WhenAll(waiters).WaitAsync(HangGuard);

        Assert.Equal([0, 1, 2, 3, 4], order);

        async Task Waiter(int i)
        {
            await using var lease = await gate.AcquireAsync();
            order.Add(i);
        }
    }
}
