using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>The depth of the Redis queues a worker serves, as an observable gauge read from Redis when observed.</summary>
[Collection(TraceCollection.Name)]
public sealed class RedisQueueGaugeTests
{
    [Fact]
    public async Task The_queue_depth_gauge_shows_the_jobs_waiting_in_the_queues_a_worker_serves()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = RedisOptions.FromUrl(redis.Url).WithKeyPrefix("qd" + Guid.NewGuid().ToString("N")[..8]);
        var release = Path.Combine(Path.GetTempPath(), "gamut-qdepth-" + Guid.NewGuid().ToString("N"));
        using var log = new MeasurementLog();
        var registry = new JobRegistry().Add<MetricsHold, string, string>();
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = registry, Concurrency = 1, Queues = ["depth"] });
        try
        {
            // One job runs (the worker's only slot), three wait in the queue.
            var first = await client.EnqueueAsync(JobRef.To<MetricsHold, string, string>(), release, new JobOptions { Queue = "depth" });
            await Wait.UntilAsync(() => Task.FromResult(worker.RunningJobs == 1), "the first job running", TestOptions.Guard);
            for (var i = 0; i < 3; i++)
            {
                await client.EnqueueAsync(JobRef.To<MetricsHold, string, string>(), release, new JobOptions { Queue = "depth" });
            }

            // Depths are read from Redis when observed and reported at the next observation.
            (string, object?)[] ready = [("gamut.executor", "redis"), ("messaging.destination.name", "depth"), ("gamut.queue.state", "ready")];
            await Wait.UntilAsync(
                () =>
                {
                    log.Clear();
                    log.Observe();
                    return Task.FromResult(log.Of("gamut.redis.queue.depth", ready) is [{ Value: 3 }]);
                },
                "the gauge reporting 3 ready jobs",
                TestOptions.Guard);
            Assert.Equal(0, Assert.Single(log.Of("gamut.redis.queue.depth", ("messaging.destination.name", "depth"), ("gamut.queue.state", "dead"))).Value);

            File.WriteAllText(release, "");
            Assert.Equal(release, await client.WaitAsync<string>(first).WaitAsync(TestOptions.Guard));
            await Wait.UntilAsync(
                () =>
                {
                    log.Clear();
                    log.Observe();
                    return Task.FromResult(log.Of("gamut.redis.queue.depth", ready) is [{ Value: 0 }]);
                },
                "the gauge reporting an empty queue",
                TestOptions.Guard);
        }
        finally
        {
            File.Delete(release);
        }
    }
}
