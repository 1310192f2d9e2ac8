using Gamut.Coordination;

namespace Gamut.Tests.Coordination;

public sealed class AsyncQueueTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Many_producers_and_consumers_deliver_every_item_exactly_once()
    {
        var queue = new AsyncQueue<int>(capacity: 16);
        var seen = new int[40_000];

        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < seen.Length; i += 4)
            {
                await queue.EnqueueAsync(i);
            }
        })).ToArray();
        var consumers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Interlocked.Increment(ref seen[await queue.DequeueAsync()]);
                }
            }
            catch (QueueClosedException)
            {
            }
        })).ToArray();

        await Task.WhenAll(producers).WaitAsync(HangGuard);
        queue.Close();
        await Task.WhenAll(consumers).WaitAsync(HangGuard);

        Assert.All(seen, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_full_queue_makes_producers_wait_until_a_consumer_takes_an_item()
    {
        var queue = new AsyncQueue<string>(capacity: 2);
        Assert.True(queue.TryEnqueue("a"));
        Assert.True(queue.TryEnqueue("b"));
        Assert.False(queue.TryEnqueue("c"));

        var waiting = queue.EnqueueAsync("c").AsTask();
        await Task.Delay(20);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2, queue.Count);

        Assert.Equal("a", await queue.DequeueAsync());
        await waiting.WaitAsync(HangGuard);
        Assert.Equal(2, queue.Count);
        Assert.Equal(2, queue.Capacity);
    }

    [Fact]
    public async Task A_closed_queue_gives_what_is_left_then_says_it_is_closed()
    {
        var queue = new AsyncQueue<int>(capacity: 4);
        await queue.EnqueueAsync(1);
        await queue.EnqueueAsync(2);

        queue.Close();

        Assert.False(queue.TryEnqueue(3));
        await Assert.ThrowsAsync<QueueClosedException>(() => queue.EnqueueAsync(3).AsTask());
        Assert.Equal(1, await queue.DequeueAsync());
        Assert.True(queue.TryDequeue(out var two));
        Assert.Equal(2, two);
        await Assert.ThrowsAsync<QueueClosedException>(() => queue.DequeueAsync().AsTask());
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public async Task Closing_releases_consumers_that_were_waiting()
    {
        var queue = new AsyncQueue<int>(capacity: 1);
        var waiting = queue.DequeueAsync().AsTask();

        queue.Close();

        await Assert.ThrowsAsync<QueueClosedException>(() => waiting.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_cancelled_take_loses_no_item()
    {
        var queue = new AsyncQueue<int>(capacity: 1);
        using var cts = new CancellationTokenSource();
        var take = queue.DequeueAsync(cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => take);
        await queue.EnqueueAsync(9);

        Assert.Equal(9, await queue.DequeueAsync());
    }

    [Fact]
    public async Task A_cancelled_put_adds_nothing()
    {
        var queue = new AsyncQueue<int>(capacity: 1);
        await queue.EnqueueAsync(1);
        using var cts = new CancellationTokenSource();
        var put = queue.EnqueueAsync(2, cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put);

        Assert.Equal(1, await queue.DequeueAsync());
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void A_queue_holds_at_least_one_item()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncQueue<int>(0));
    }
}
