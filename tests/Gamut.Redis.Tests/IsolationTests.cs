using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>A worker that runs its jobs in a process pool (<c>--isolate processes</c>).</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class IsolationTests(SharedRedis redis)
{
    [Fact]
    public async Task With_process_isolation_a_job_that_kills_its_process_fails_alone_and_a_cancelled_job_is_stopped()
    {
        var options = TestOptions.For(redis.Server);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2, Isolation = WorkerIsolation.Processes });
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.Equal(81, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 9).WaitAsync(TestOptions.Guard));

        var crash = await Assert.ThrowsAsync<JobFailedException>(() => client.SubmitAsync(JobRef.To<CrashJob, int, int>(), 3).WaitAsync(TestOptions.Guard));
        Assert.Contains("Crash", crash.Error.Type);

        var sleeping = await client.EnqueueAsync(JobRef.To<SleepJob, int, int>(), 60_000);
        await Wait.UntilAsync(async () => (await client.GetStatusAsync(sleeping)).State == RedisJobState.Running, "the job runs");
        Assert.Equal(CancelOutcome.Cancelling, await client.CancelAsync(sleeping));
        await Assert.ThrowsAsync<OperationCanceledException>(() => client.WaitAsync<int>(sleeping).WaitAsync(TestOptions.Guard));
        Assert.Equal(16, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 4).WaitAsync(TestOptions.Guard));
    }
}
