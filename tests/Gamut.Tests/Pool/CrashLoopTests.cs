using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

[Job("pool.poison-init")]
public sealed class PoisonInitializerJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context) => throw new InvalidOperationException(input);
}

[Job("pool.counting-init")]
public sealed class CountingInitializerJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context)
    {
        File.AppendAllText(input, $"{Environment.ProcessId}\n");
        return ValueTask.FromResult(0);
    }
}

/// <summary>RELIABILITY PP-5: crash loops are bounded Erlang-style; a poison job fails after its attempts while others complete.</summary>
public sealed class CrashLoopTests
{
    [Fact]
    public async Task An_initializer_that_always_throws_stops_the_restarts_with_a_worker_keeps_dying_error()
    {
        var log = new RecordingLogger();
        await using var pool = PoolTest.Create(workers: 2, o => o with
        {
            RestartIntensity = 3,
            RestartPeriod = TimeSpan.FromSeconds(30),
            Initializer = WorkerInitializer.For(JobRef.To<PoisonInitializerJob, string, int>(), "no database"),
        }, log);

        var error = await Assert.ThrowsAsync<WorkerCrashLoopException>(() => pool.SubmitAsync(PoolTest.Square, 3).WaitAsync(PoolTest.Guard));

        Assert.Contains("no database", error.LastReason, StringComparison.Ordinal);
        Assert.Contains("pool.poison-init", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Failures);
        // Fails fast from now on (no endless respawn), and no more workers are started within the period.
        await Assert.ThrowsAsync<WorkerCrashLoopException>(() => pool.SubmitAsync(PoolTest.Square, 3).WaitAsync(PoolTest.Guard));
        // A replacement already starting when the breaker tripped dies of the same initializer; wait for that
        // (a hang guard, not a timing claim), then nothing is left.
        var deadline = DateTime.UtcNow + PoolTest.Guard;
        while (pool.WorkerPids.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Empty(pool.WorkerPids);
        // 2 workers, then at most RestartIntensity (3) restarts: the breaker tripped on the 4th failure; a
        // replacement already on its way when it tripped may fail too, but nothing starts after it.
        var started = log.Messages.Count(m => m.StartsWith("worker ", StringComparison.Ordinal) && m.Contains(": its initializer", StringComparison.Ordinal));
        Assert.InRange(started, 4, 5);
    }

    [Fact]
    public async Task An_initializer_runs_once_in_each_worker_before_any_job()
    {
        var file = Path.GetTempFileName();
        try
        {
            await using (var pool = PoolTest.Create(workers: 2, o => o with { Initializer = WorkerInitializer.For(JobRef.To<CountingInitializerJob, string, int>(), file) }))
            {
                var pids = new HashSet<int>();
                for (var i = 0; i < 40; i++)
                {
                    pids.Add(await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
                }

                await PoolTest.WaitForReadyAsync(pool, 2);
                var initialized = (await File.ReadAllLinesAsync(file)).Select(int.Parse).ToList();
                Assert.Equal(initialized.Count, initialized.Distinct().Count());
                Assert.Subset(initialized.ToHashSet(), pids);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_poison_job_fails_after_its_attempts_while_other_jobs_complete()
    {
        await using var pool = PoolTest.Create(workers: 2);
        var poison = pool.SubmitAsync(PoolTest.Crash, "exit3", new JobOptions { Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(10) } });
        var others = Enumerable.Range(0, 300).Select(i => pool.SubmitAsync(PoolTest.Square, i)).ToArray();

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => poison.WaitAsync(PoolTest.Guard));
        Assert.Equal(3, error.Attempts);
        Assert.Equal(3, error.Exit.ExitCode);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => i * i), await Task.WhenAll(others).WaitAsync(PoolTest.Guard));
        Assert.Equal(1, await pool.SubmitAsync(PoolTest.Square, 1).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_failing_job_is_retried_by_its_policy_and_succeeds()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var attempt = await pool.SubmitAsync(PoolTest.Flaky, 3, new JobOptions { Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(5) } }).WaitAsync(PoolTest.Guard);
        Assert.Equal(3, attempt);
        var error = await Assert.ThrowsAsync<JobFailedException>(() => pool.SubmitAsync(PoolTest.Flaky, 5, new JobOptions { Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero } }).WaitAsync(PoolTest.Guard));
        Assert.Equal(2, error.Attempts);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
    }
}
