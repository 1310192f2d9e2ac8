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
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        using var cancel = new CancellationTokenSource();
        var runaway = pool.SubmitAsync(PoolTest.StartedRunaway, 0, cancellationToken: cancel.Token);
        var pid = (await started.WaitAsync()).Single().Pid;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runaway.WaitAsync(PoolTest.Guard));
        await PoolTest.WaitUntilAsync(() => !PoolTest.IsRunning(pid), "the worker of the cancelled job to be stopped");
        Assert.NotEqual(pid, await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task Cancelling_a_cooperative_job_cancels_it_in_the_worker_without_stopping_the_worker()
    {
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        using var cancel = new CancellationTokenSource();
        var sleeping = pool.SubmitAsync(PoolTest.StartedSleep, 600_000, cancellationToken: cancel.Token);
        var pid = (await started.WaitAsync()).Single().Pid;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping.WaitAsync(PoolTest.Guard));
        Assert.Equal(pid, await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_timed_out_job_is_retried_only_when_its_policy_retries_timeouts(bool retryOnTimeout)
    {
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        var options = new JobOptions
        {
            Timeout = TimeSpan.FromSeconds(2),
            Retry = new RetryPolicy { MaxAttempts = 2, RetryOnTimeout = retryOnTimeout, InitialDelay = TimeSpan.Zero },
        };
        var error = await Assert.ThrowsAsync<JobTimeoutException>(() => pool.SubmitAsync(PoolTest.StartedSleep, 600_000, options).WaitAsync(PoolTest.Guard));

        Assert.Equal(TimeSpan.FromSeconds(2), error.Timeout);
        // A retry happened only when asked for, each attempt in a worker of its own (a timed-out worker is stopped).
        var runs = started.Runs;
        Assert.Equal(retryOnTimeout ? [1, 2] : [1], runs.Select(r => r.Attempt));
        Assert.Equal(runs.Count, runs.Select(r => r.Pid).Distinct().Count());
        Assert.Equal(9, await pool.SubmitAsync(PoolTest.Square, 3, options).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_timed_out_map_item_is_retried_when_its_policy_retries_timeouts_and_fails_alone()
    {
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        var options = new MapOptions
        {
            ChunkSize = 2,
            Job = new JobOptions
            {
                Timeout = TimeSpan.FromSeconds(2),
                Retry = new RetryPolicy { MaxAttempts = 3, RetryOnTimeout = true, InitialDelay = TimeSpan.Zero },
            },
        };
        var outcomes = new List<JobOutcome<int, int>>();
        // The quick item sleeps 0 ms (it completes where it starts), so a loaded machine cannot push it past the timeout.
        await foreach (var o in pool.MapAsync(PoolTest.StartedSleep, [600_000, 0], options).WithCancellation(new CancellationTokenSource(PoolTest.Guard).Token))
        {
            outcomes.Add(o);
        }

        Assert.IsType<JobTimeoutException>(outcomes[0].Error);
        Assert.Equal(0, outcomes[1].Value);
        // The item that times out was retried up to its policy's limit; the quick item behind it in the chunk ran once.
        var runs = File.ReadAllLines(started.Path).Select(l => l.Split(' ')).Select(p => (Attempt: int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), Input: p[2])).ToList();
        Assert.Equal([1, 2, 3], runs.Where(r => r.Input == "600000").Select(r => r.Attempt).Order());
        Assert.Equal([1], runs.Where(r => r.Input == "0").Select(r => r.Attempt));
    }

    [Fact]
    public async Task Cancel_all_cancels_queued_and_running_jobs_and_the_pool_stays_usable()
    {
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        var jobs = Enumerable.Range(0, 10).Select(_ => pool.SubmitAsync(PoolTest.StartedSleep, 600_000)).ToArray();
        await started.WaitAsync();
        pool.CancelAll();
        foreach (var job in jobs)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(PoolTest.Guard));
        }

        // One ran (and was cancelled in its worker); the nine behind it never started.
        Assert.Single(started.Runs);
        Assert.Equal(4, await pool.SubmitAsync(PoolTest.Square, 2).WaitAsync(PoolTest.Guard));
    }
}
