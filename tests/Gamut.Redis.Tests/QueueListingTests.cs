using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests;

/// <summary>A producer's queues are listed where <c>gamut status</c> and the dashboard look, even when it exits at once.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class QueueListingTests(SharedRedis redis)
{
    [Fact]
    public async Task A_producer_that_enqueues_and_disposes_at_once_leaves_its_queue_listed()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var options = TestOptions.For(redis.Server, prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");

        // No worker serves this prefix, so nothing else lists the queues: only the producer's own write can.
        // Fifty producers in a row (without waiting for the listing, about one in thirty lost it), each enqueueing on a queue of its own and closing right away.
        for (var i = 0; i < 50; i++)
        {
            var queue = $"q{i}";
            await using (var client = await RedisExecutor.ConnectAsync(options))
            {
                await client.EnqueueAsync(JobRef.Named<int, int>("test.square"), i, new JobOptions { Queue = queue });
            }

            var listed = await mux.GetDatabase().SetContainsAsync($"{prefix}:queues", queue);
            Assert.True(listed, $"producer {i} closed without listing its queue '{queue}'");
        }
    }
}
