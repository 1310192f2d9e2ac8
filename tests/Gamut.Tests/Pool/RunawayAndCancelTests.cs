using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>RELIABILITY PP-4: a runaway job is stopped for real (TERM, then KILL), and only its worker pays.</summary>
public sealed class RunawayAndCancelTests
{
    [Theory]
    [InlineData(0)] // while (true) { }
    [InlineData(1)] // ignores its token, blocked in native sleep
    public async Task A_runaway_job_times_out_its_worker_gets_TERM_then_KILL_and_other_jobs_complete(int kind)
    {
        var log = new RecordingLogger();
        await using var pool = PoolTest.Create(workers: 2, logger: log);
        await PoolTest.WaitForReadyAsync(pool, 2);
        var runaway = pool.SubmitAsync(PoolTest.Runaway, kind, new JobOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var others = Enumerable.Range(0, 200).Select(i => pool.SubmitAsync(PoolTest.Square, i)).ToArray();
        var pidsBefore = pool.WorkerPids;

        var error = await Assert.ThrowsAsync<JobTimeoutException>(() => runaway.WaitAsync(PoolTest.Guard));
        Assert.Contains("SIGTERM", error.Message, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * i), await Task.WhenAll(others).WaitAsync(PoolTest.Guard));

        // TERM first; the job ignores it, so KILL after the grace period; a replacement serves.
        await PoolTest.WaitUntilAsync(() => log.Messages.Any(m => m.Contains("SIGKILL", StringComparison.Ordinal) && m.Contains("did not stop", StringComparison.Ordinal)), "the KILL after the grace period");
        var messages = log.Messages;
        var term = messages.ToList().FindIndex(m => m.Contains("ran past its", StringComparison.Ordinal));
        var kill = messages.ToList().FindIndex(m => m.Contains("did not stop", StringComparison.Ordinal));
        Assert.True(term >= 0 && kill > term, string.Join(Environment.NewLine, messages));
        var runawayPid = pidsBefore.Single(p => messages[kill].Contains($"pid {p})", StringComparison.Ordinal));
        await PoolTest.WaitUntilAsync(() => !PoolTest.IsRunning(runawayPid), "the runaway worker to be gone");
        await PoolTest.WaitForReadyAsync(pool, 2);
        Assert.Equal(81, await pool.SubmitAsync(PoolTest.Square, 9).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task Cancelling_a_job_that_ignores_its_token_stops_its_worker_and_the_pool_keeps_serving()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var pid = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        using var cancel = new CancellationTokenSource();
        var runaway = pool.SubmitAsync(PoolTest.Runaway, 0, cancellationToken: cancel.Token);
        await Task.Delay(100);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runaway.WaitAsync(PoolTest.Guard));
        await PoolTest.WaitUntilAsync(() => !PoolTest.IsRunning(pid), "the worker of the cancelled job to be stopped");
        Assert.NotEqual(pid, await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task Cancelling_a_cooperative_job_cancels_it_in_the_worker_without_stopping_the_worker()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var pid = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.SubmitAsync(PoolTest.Sleep, 30_000, cancellationToken: cancel.Token).WaitAsync(PoolTest.Guard));
        Assert.Equal(pid, await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_timed_out_job_is_retried_when_its_policy_allows_timeouts()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var options = new JobOptions
        {
            Timeout = TimeSpan.FromMilliseconds(200),
            Retry = new RetryPolicy { MaxAttempts = 2, RetryOnTimeout = true, InitialDelay = TimeSpan.Zero },
        };
        var error = await Assert.ThrowsAsync<JobTimeoutException>(() => pool.SubmitAsync(PoolTest.Sleep, 30_000, options).WaitAsync(PoolTest.Guard));
        Assert.Equal(TimeSpan.FromMilliseconds(200), error.Timeout);
        Assert.Equal(100, await pool.SubmitAsync(PoolTest.Sleep, 100, options).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task Cancel_all_cancels_queued_and_running_jobs_and_the_pool_stays_usable()
    {
        await using var pool = PoolTest.Create(workers: 1);
        await PoolTest.WaitForReadyAsync(pool, 1);
        var jobs = Enumerable.Range(0, 10).Select(_ => pool.SubmitAsync(PoolTest.Sleep, 30_000)).ToArray();
        await Task.Delay(100);
        pool.CancelAll();
        foreach (var job in jobs)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(PoolTest.Guard));
        }

        Assert.Equal(4, await pool.SubmitAsync(PoolTest.Square, 2).WaitAsync(PoolTest.Guard));
    }
}
