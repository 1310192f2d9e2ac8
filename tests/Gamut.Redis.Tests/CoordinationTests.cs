using Gamut.Coordination;
using Gamut.Redis.Coordination;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>The lock, event and queue across machines (here: across connections to one redis-server).</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class CoordinationTests(SharedRedis redis)
{
    [Fact]
    public async Task A_lock_is_held_by_one_at_a_time_and_every_acquisition_gets_a_greater_fencing_token()
    {
        var options = TestOptions.For(redis.Server);
        await using var a = await RedisCoordination.ConnectAsync(options);
        await using var b = await RedisCoordination.ConnectAsync(options);
        var first = await a.Lock("reports").TryAcquireAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(first);
        Assert.Null(await b.Lock("reports").TryAcquireAsync(TimeSpan.FromMilliseconds(300)));
        var waiting = b.Lock("reports").TryAcquireAsync(TestOptions.Guard).AsTask();
        await first.DisposeAsync();
        await using var second = await waiting;
        Assert.NotNull(second);
        Assert.True(second.FencingToken > first.FencingToken);
    }

    [Fact]
    public async Task A_lock_whose_holder_is_gone_passes_to_the_next_when_its_lease_runs_out()
    {
        var options = TestOptions.For(redis.Server);
        var holder = await RedisCoordination.ConnectAsync(options);
        var lease = await holder.Lock("jobs", TimeSpan.FromMilliseconds(400)).TryAcquireAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        await holder.DisposeAsync();   // the holder is gone: nobody renews, nobody releases
        await using var other = await RedisCoordination.ConnectAsync(options);
        await using var next = await other.Lock("jobs", TimeSpan.FromMilliseconds(400)).TryAcquireAsync(TestOptions.Guard);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > lease.FencingToken);
    }

    [Fact]
    public async Task An_event_set_on_one_connection_releases_waiters_on_another_until_it_is_reset()
    {
        var options = TestOptions.For(redis.Server);
        await using var a = await RedisCoordination.ConnectAsync(options);
        await using var b = await RedisCoordination.ConnectAsync(options);
        var ready = b.Event("ready");
        Assert.False(await ready.WaitAsync(TimeSpan.FromMilliseconds(200)));
        var waiter = ready.WaitAsync().AsTask();
        a.Event("ready").Set();
        await waiter.WaitAsync(TestOptions.Guard);
        Assert.True(ready.IsSet);
        ready.Reset();
        Assert.False(a.Event("ready").IsSet);
    }

    [Fact]
    public async Task A_bounded_queue_applies_back_pressure_keeps_order_and_drains_after_close()
    {
        var options = TestOptions.For(redis.Server);
        await using var a = await RedisCoordination.ConnectAsync(options);
        await using var b = await RedisCoordination.ConnectAsync(options);
        IAsyncQueue<string> producer = a.Queue<string>("work", capacity: 2);
        IAsyncQueue<string> consumer = b.Queue<string>("work", capacity: 2);
        await producer.EnqueueAsync("one");
        Assert.True(producer.TryEnqueue("two"));
        Assert.False(producer.TryEnqueue("three"));
        var blocked = producer.EnqueueAsync("three").AsTask();
        Assert.Equal("one", await consumer.DequeueAsync());
        await blocked.WaitAsync(TestOptions.Guard);
        Assert.Equal(2, consumer.Count);
        producer.Close();
        Assert.Throws<QueueClosedException>(() => producer.TryEnqueue("four"));
        Assert.Equal("two", await consumer.DequeueAsync());
        Assert.True(consumer.TryDequeue(out var last));
        Assert.Equal("three", last);
        await Assert.ThrowsAsync<QueueClosedException>(async () => await consumer.DequeueAsync());
    }
}
