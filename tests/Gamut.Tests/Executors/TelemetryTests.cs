using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Tests.Executors;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Jobs_are_counted_timed_and_traced_under_the_name_gamut()
    {
        var registry = new JobRegistry().Add<ProbeJob, int, int>("telemetry.probe");
        var executor = new ThreadsExecutor(new ThreadsExecutorOptions { MaxConcurrency = 2, Registry = registry });
        var probe = JobRef.Named<int, int>("telemetry.probe");
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var activities = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GamutTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Mine(tags) || instrument.Name == "gamut.executor.queue_depth")
            {
                counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            }
        });
        meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (Mine(tags))
            {
                counts.AddOrUpdate(instrument.Name, 1, (_, v) => v + 1);
            }
        });
        meters.Start();
        using var traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GamutTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(traces);

        await executor.SubmitAsync(probe, 1, new JobOptions { Id = "telemetry-ok" });
        await Assert.ThrowsAsync<JobFailedException>(() => executor.SubmitAsync(probe, -1, new JobOptions { Id = "telemetry-bad" }));
        meters.RecordObservableInstruments();
        await executor.ShutdownAsync();

        Assert.Equal(2, counts["gamut.jobs.submitted"]);
        Assert.Equal(2, counts["gamut.jobs.started"]);
        Assert.Equal(1, counts["gamut.jobs.completed"]);
        Assert.Equal(1, counts["gamut.jobs.failed"]);
        Assert.Equal(2, counts["gamut.job.duration"]);
        Assert.True(counts.ContainsKey("gamut.executor.queue_depth"));
        var bad = Assert.Single(activities, a => (string?)a.GetTagItem("gamut.job.id") == "telemetry-bad");
        Assert.Equal(ActivityStatusCode.Error, bad.Status);
        Assert.Contains(activities, a => (string?)a.GetTagItem("gamut.job.id") == "telemetry-ok");

        // Other tests run executors at the same time: count only this test's job.
        static bool Mine(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "gamut.job" && (string?)tag.Value == "telemetry.probe")
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class ProbeJob : IJob<int, int>
    {
        public ValueTask<int> RunAsync(int input, JobContext context) => input < 0 ? throw new InvalidOperationException("negative") : ValueTask.FromResult(input);
    }
}
