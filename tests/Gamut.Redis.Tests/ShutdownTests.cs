using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Gamut.Redis.Tests.Ledger;

namespace Gamut.Redis.Tests;

/// <summary>Graceful shutdown on SIGTERM (RQ-11's first half), and the worker as a hosted service.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ShutdownTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    private async Task<long> StatAsync(string prefix, string field)
    {
        var v = await redis.Server.CliAsync("HGET", $"{prefix}:{{default}}:stats", field);
        return string.IsNullOrEmpty(v) ? 0 : long.Parse(v);
    }

    [Theory]
    [InlineData(300, "finished")]
    [InlineData(60_000, "handed back")]
    public async Task On_sigterm_a_worker_stops_taking_finishes_or_hands_back_its_jobs_and_exits_0(int jobMs, string expected)
    {
        var prefix = "term" + jobMs;
        var options = TestOptions.For(redis.Server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        using var worker = WorkerProcess.Start(redis.Server, prefix, "default", 4, null);
        var workerId = await worker.Ready.WaitAsync(TestOptions.Guard);
        var handles = new List<JobHandle>();
        for (var i = 0; i < 8; i++)
        {
            handles.Add(await client.EnqueueAsync(LedgerJob, jobMs));
        }

        await Wait.UntilAsync(async () => (await redis.Server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{workerId}")) == "4", "four jobs running");
        worker.Signal("TERM");
        await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        Assert.True(worker.ExitCode == 0, $"exit {worker.ExitCode}: {worker.Stderr}");

        var states = new List<RedisJobState>();
        foreach (var h in handles)
        {
            states.Add((await client.GetStatusAsync(h)).State);
        }

        if (expected == "finished")
        {
            Assert.Equal(4, states.Count(s => s == RedisJobState.Succeeded));
            Assert.Equal(4, states.Count(s => s == RedisJobState.Queued));
        }
        else
        {
            Assert.Equal(8, states.Count(s => s == RedisJobState.Queued));
            Assert.Equal(4, await StatAsync(prefix, "handedBack"));
        }

        Assert.Equal("0", await redis.Server.CliAsync("EXISTS", $"{prefix}:{{default}}:active:{workerId}"));
        Assert.Equal("0", await redis.Server.CliAsync("SISMEMBER", $"{prefix}:{{default}}:workers", workerId));
        Assert.Equal("8", await redis.Server.CliAsync("HGET", $"{prefix}:{{default}}:stats", "enqueued"));
    }

    [Fact]
    public async Task The_worker_runs_as_a_hosted_service_and_stops_with_its_host()
    {
        var options = TestOptions.For(redis.Server);
        var service = new RedisWorkerService(options, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        await service.StartAsync(CancellationToken.None);
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.Equal(64, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 8).WaitAsync(TestOptions.Guard));
        await service.StopAsync(CancellationToken.None);
        Assert.Equal(1, service.Worker!.Counters.Succeeded);
        Assert.True(service.Worker.Completion.IsCompleted);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var status = await admin.GetStatusAsync();
        Assert.Empty(status.Workers);
        var queue = Assert.Single(status.Queues);
        Assert.Equal(1, queue.Succeeded);
        Assert.Equal(0, queue.Ready);
    }
}
