using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>The process pool's per-job counters, durations and gauges on Gamut's meter, counted in items.</summary>
[Collection(TraceCollection.Name)]
public sealed class PoolJobMetricsTests
{
    private static readonly (string, object?) Processes = ("gamut.executor", "processes");

    [Fact]
    public async Task A_map_counts_each_item_as_submitted_started_and_completed_with_a_duration()
    {
        using var log = new MeasurementLog();
        using var guard = new CancellationTokenSource(TestOptions.Guard);
        var registry = new JobRegistry().Add<MetricsSquare, int, int>();
        await using (var pool = new ProcessPool(new ProcessPoolOptions { Registry = registry, Workers = 2 }))
        {
            var results = new List<int>();
            await foreach (var outcome in pool.MapAsync(JobRef.To<MetricsSquare, int, int>(), Enumerable.Range(0, 250), new MapOptions { ChunkSize = 40 }).WithCancellation(guard.Token))
            {
                results.Add(outcome.Value);
            }

            Assert.Equal(250, results.Count);
            Assert.Equal(49, await pool.SubmitAsync(JobRef.To<MetricsSquare, int, int>(), 7));
        }

        var job = ("gamut.job", (object?)"metrics.square");
        Assert.Equal(251, log.Sum("gamut.jobs.submitted", Processes, job));
        Assert.Equal(251, log.Sum("gamut.jobs.started", Processes, job));
        Assert.Equal(251, log.Sum("gamut.jobs.completed", Processes, job));
        Assert.Empty(log.Of("gamut.jobs.failed", Processes, job));
        var durations = log.Of("gamut.job.duration", Processes, job, ("error.type", null));
        Assert.Equal(251, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value >= 0));
    }

    [Fact]
    public async Task Failed_attempts_are_counted_with_their_error_type_and_a_retried_one_counts_again_when_it_starts()
    {
        using var log = new MeasurementLog();
        using var guard = new CancellationTokenSource(TestOptions.Guard);
        var registry = new JobRegistry().Add<MetricsFlaky, int, int>();
        var retryOnce = new JobOptions { Retry = RetryPolicy.Attempts(2) with { InitialDelay = TimeSpan.Zero } };
        await using (var pool = new ProcessPool(new ProcessPoolOptions { Registry = registry, Workers = 1 }))
        {
            // 2 fails once then succeeds; 3 fails both attempts.
            Assert.Equal(2, await pool.SubmitAsync(JobRef.To<MetricsFlaky, int, int>(), 2, retryOnce).WaitAsync(TestOptions.Guard));
            await Assert.ThrowsAsync<JobFailedException>(() => pool.SubmitAsync(JobRef.To<MetricsFlaky, int, int>(), 3, retryOnce).WaitAsync(TestOptions.Guard));

            // A map of 10 items, one attempt each: the five odd ones fail, alone.
            var failed = 0;
            await foreach (var outcome in pool.MapAsync(JobRef.To<MetricsFlaky, int, int>(), Enumerable.Range(0, 10), new MapOptions { ChunkSize = 5 }).WithCancellation(guard.Token))
            {
                failed += outcome.IsSuccess ? 0 : 1;
            }

            Assert.Equal(10, failed); // even ones fail their first (and only) attempt too
        }

        var job = ("gamut.job", (object?)"metrics.flaky");
        Assert.Equal(12, log.Sum("gamut.jobs.submitted", Processes, job));
        Assert.Equal(14, log.Sum("gamut.jobs.started", Processes, job));
        Assert.Equal(1, log.Sum("gamut.jobs.completed", Processes, job));
        Assert.Equal(13, log.Sum("gamut.jobs.failed", Processes, job, ("error.type", "failed")));
        Assert.Equal(2, log.Sum("gamut.jobs.retried", Processes, job));
        Assert.Equal(13, log.Of("gamut.job.duration", Processes, job, ("error.type", "failed")).Count);
        Assert.Single(log.Of("gamut.job.duration", Processes, job, ("error.type", null)));
    }

    [Fact]
    public async Task The_gauges_show_the_items_waiting_and_in_flight_and_a_cancelled_job_counts_as_failed_canceled()
    {
        using var log = new MeasurementLog();
        var release = Path.Combine(Path.GetTempPath(), "gamut-metrics-" + Guid.NewGuid().ToString("N"));
        var registry = new JobRegistry().Add<MetricsHold, string, string>();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Registry = registry, Workers = 1 });
        using var cancel = new CancellationTokenSource();
        var hold = JobRef.To<MetricsHold, string, string>();
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(pool.ReadyWorkers == 1), "the worker ready", TestOptions.Guard);

            // One worker takes two frames at most: the first two run (or wait in the worker), the others wait in the pool.
            var jobs = Enumerable.Range(0, 5).Select(i => pool.SubmitAsync(hold, release, cancellationToken: i == 4 ? cancel.Token : default)).ToList();
            log.Clear();
            log.Observe();
            var queued = log.Sum("gamut.executor.queue_depth", Processes);
            var inFlight = log.Sum("gamut.executor.in_flight", Processes);
            Assert.True(inFlight >= 1, $"in flight: {inFlight}");
            Assert.True(queued + inFlight >= 5, $"queued {queued} + in flight {inFlight}");

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => jobs[4]);
            Assert.Equal(1, log.Sum("gamut.jobs.failed", Processes, ("gamut.job", "metrics.hold"), ("error.type", "canceled")));

            File.WriteAllText(release, "");
            await Task.WhenAll(jobs.Take(4)).WaitAsync(TestOptions.Guard);
            Assert.Equal(4, log.Sum("gamut.jobs.completed", Processes, ("gamut.job", "metrics.hold")));
        }
        finally
        {
            File.Delete(release);
        }
    }
}
