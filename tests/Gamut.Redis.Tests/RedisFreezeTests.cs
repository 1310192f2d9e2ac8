using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>
/// RELIABILITY.md RQ-5: Redis frozen (SIGSTOP) past the heartbeat TTL. Every heartbeat key expires at once when it
/// resumes; the reaper must not take that for the death of every worker.
/// </summary>
public sealed class RedisFreezeTests
{
    [Fact]
    public async Task RQ5_a_redis_frozen_past_the_heartbeat_ttl_causes_no_spurious_reaping_of_live_workers()
    {
        await using var server = await RedisServer.StartAsync();
        var options = TestOptions.For(server, "rq5");
        await using var a = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2 });
        await using var b = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2 });
        await using var client = await RedisExecutor.ConnectAsync(options);
        var jobs = new List<JobHandle>();
        for (var i = 0; i < 4; i++)
        {
            jobs.Add(await client.EnqueueAsync(JobRef.To<SleepJob, int, int>(), 9000));
        }

        await Wait.UntilAsync(async () => a.RunningJobs + b.RunningJobs == 4, "all four jobs running");
        server.Signal("STOP");
        await Task.Delay(6000);   // past the heartbeat TTL (1 s) and the command timeout (5 s): every call in flight fails
        server.Signal("CONT");

        foreach (var job in jobs)
        {
            Assert.Equal(9000, await client.WaitAsync<int>(job).WaitAsync(TestOptions.Guard));
            Assert.Equal(1, (await client.GetStatusAsync(job)).Deliveries);
        }

        Assert.Equal("", await server.CliAsync("HGET", "rq5:{default}:stats", "reaped"));
        Assert.Equal("", await server.CliAsync("HGET", "rq5:{default}:stats", "duplicates"));
        Assert.Equal(0, a.Counters.Reaped + b.Counters.Reaped);
    }
}
