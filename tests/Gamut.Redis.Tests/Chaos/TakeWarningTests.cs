using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>Issue 12: when a worker cannot take jobs, its warning says from which queue and on which instance.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class TakeWarningTests(SharedRedis redis)
{
    [Fact]
    public async Task The_taking_jobs_failed_warning_names_the_queue_and_the_instance()
    {
        var server = redis.Server;
        await using var proxy = FaultProxy.Start(server.Port);
        var log = new ListLogger();
        var options = TestOptions.For(server).WithLogger(log);
        options = options with { Configuration = RedisUrl.Parse(proxy.Url + "?timeout=2000") };
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["urgent"], Concurrency = 1 });

        // Redis goes away under the worker: its next take fails.
        proxy.Down();
        await Wait.UntilAsync(() => Task.FromResult(log.Warnings.Any(w => w.Contains("taking jobs", StringComparison.Ordinal))), "the worker warned that taking failed");
        var warning = log.Warnings.First(w => w.Contains("taking jobs", StringComparison.Ordinal));
        Assert.Contains("from queue urgent", warning, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{proxy.Port}", warning, StringComparison.Ordinal);
        proxy.Up();
    }
}
