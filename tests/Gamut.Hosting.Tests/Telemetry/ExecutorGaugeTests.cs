using System.Diagnostics.Metrics;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>An in-process executor's queue depth and in-flight jobs as observable gauges on Gamut's meter.</summary>
[Collection(TraceCollection.Name)]
public sealed class ExecutorGaugeTests
{
    [Fact]
    public async Task Running_and_waiting_jobs_show_in_the_in_flight_and_queue_depth_gauges()
    {
        var gauges = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GamutTelemetry.Name && instrument.Name is "gamut.executor.in_flight" or "gamut.executor.queue_depth")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (gauges)
            {
                gauges[instrument.Name] = gauges.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();

        await using var threads = Gamut.Executors.Executors.Threads(maxConcurrency: 1);
        using var release = new SemaphoreSlim(0);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = threads.SubmitAsync(async _ =>
        {
            started.SetResult();
            await release.WaitAsync();
            return 1;
        });
        var waiting = threads.SubmitAsync(_ => ValueTask.FromResult(2));
        await started.Task.WaitAsync(TestOptions.Guard);

        lock (gauges)
        {
            gauges.Clear();
        }

        listener.RecordObservableInstruments();
        lock (gauges)
        {
            // Other executors alive in this process add theirs; this one adds one running and one waiting.
            Assert.True(gauges.GetValueOrDefault("gamut.executor.in_flight") >= 1, $"in flight: {gauges.GetValueOrDefault("gamut.executor.in_flight")}");
            Assert.True(gauges.GetValueOrDefault("gamut.executor.queue_depth") >= 1, $"queued: {gauges.GetValueOrDefault("gamut.executor.queue_depth")}");
        }

        release.Release();
        Assert.Equal(3, await running + await waiting);
    }
}
