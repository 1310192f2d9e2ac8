using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>Graceful shutdown on SIGTERM (RQ-11's first half), and the worker as a hosted service.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ShutdownTests(SharedRedis redis)
{
    private static readonly JobRef<string, int> GateJob = JobRef.To<GateJob, string, int>();

    private async Task<long> StatAsync(string prefix, string field)
    {
        var v = await redis.Server.CliAsync("HGET", $"{prefix}:{{default}}:stats", field);
        return string.IsNullOrEmpty(v) ? 0 : long.Parse(v);
    }

    [Fact]
    public async Task On_sigterm_a_worker_stops_taking_finishes_its_running_jobs_and_exits_0()
    {
        // Four gated jobs run; the worker is told to stop; only once it says it stopped taking are the four let
        // finish. They succeed, the other four stay queued for another worker, and the worker leaves cleanly.
        var prefix = "term-finish";
        var gate = Path.Combine(Path.GetTempPath(), $"gamut-gate-{Guid.NewGuid():N}");
        var options = TestOptions.For(redis.Server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        using var worker = WorkerProcess.Start(redis.Server.Url, prefix, "default", 4, null, env: new Dictionary<string, string> { ["GAMUT_TEST_LOG"] = "1" });
        var workerId = await worker.Ready.WaitAsync(TestOptions.Guard);
        var handles = new List<JobHandle>();
        for (var i = 0; i < 8; i++)
        {
            handles.Add(await client.EnqueueAsync(GateJob, gate));
        }

        try
        {
            await Wait.UntilAsync(async () => (await redis.Server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{workerId}")) == "4", "four jobs running");
            worker.Signal("TERM");
            await worker.SaysAsync("stopped taking jobs; 4 running").WaitAsync(TestOptions.Guard);
            File.WriteAllText(gate, "open");
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        }
        finally
        {
            File.Delete(gate);
        }

        Assert.True(worker.ExitCode == 0, $"exit {worker.ExitCode}: {worker.Stderr}");
        var states = await StatesAsync(client, handles);
        Assert.Equal(4, states.Count(s => s == RedisJobState.Succeeded));
        Assert.Equal(4, states.Count(s => s == RedisJobState.Queued));
        await AssertLeftAsync(prefix, workerId);
    }

    [Fact]
    public async Task On_sigterm_a_worker_hands_back_the_jobs_still_running_at_its_deadline_and_exits_0()
    {
        // The gate never opens: the worker's shutdown deadline (5 s in the test program) passes with four running.
        var prefix = "term-handback";
        var gate = Path.Combine(Path.GetTempPath(), $"gamut-gate-never-{Guid.NewGuid():N}");
        var options = TestOptions.For(redis.Server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        using var worker = WorkerProcess.Start(redis.Server, prefix, "default", 4, null);
        var workerId = await worker.Ready.WaitAsync(TestOptions.Guard);
        var handles = new List<JobHandle>();
        for (var i = 0; i < 8; i++)
        {
            handles.Add(await client.EnqueueAsync(GateJob, gate));
        }

        await Wait.UntilAsync(async () => (await redis.Server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{workerId}")) == "4", "four jobs running");
        worker.Signal("TERM");
        await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        Assert.True(worker.ExitCode == 0, $"exit {worker.ExitCode}: {worker.Stderr}");

        var states = await StatesAsync(client, handles);
        Assert.Equal(8, states.Count(s => s == RedisJobState.Queued));
        Assert.Equal(4, await StatAsync(prefix, "handedBack"));
        await AssertLeftAsync(prefix, workerId);
    }

    private static async Task<List<RedisJobState>> StatesAsync(RedisExecutor client, List<JobHandle> handles)
    {
        var states = new List<RedisJobState>();
        foreach (var h in handles)
        {
            states.Add((await client.GetStatusAsync(h)).State);
        }

        return states;
    }

    /// <summary>The worker left nothing behind: no active list, not a member of the workers, every enqueue counted.</summary>
    private async Task AssertLeftAsync(string prefix, string workerId)
    {
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
