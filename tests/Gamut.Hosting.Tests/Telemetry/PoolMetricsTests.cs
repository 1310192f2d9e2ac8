using System.Diagnostics.Metrics;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>The process pool's worker crashes and restarts on Gamut's meter.</summary>
[Collection(TraceCollection.Name)]
public sealed class PoolMetricsTests
{
    [Fact]
    public async Task A_worker_that_dies_is_counted_as_a_crash_and_its_replacement_as_a_restart()
    {
        long crashes = 0, restarts = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GamutTelemetry.Name && instrument.Name is "gamut.pool.worker.crashes" or "gamut.pool.worker.restarts")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "gamut.pool.worker.crashes")
            {
                Interlocked.Add(ref crashes, value);
            }
            else
            {
                Interlocked.Add(ref restarts, value);
            }
        });
        listener.Start();

        var registry = new JobRegistry().Add<ExitsWorker, int, int>();
        await using var pool = new ProcessPool(new ProcessPoolOptions { Registry = registry, Workers = 1 });
        await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.SubmitAsync(JobRef.To<ExitsWorker, int, int>(), 3).WaitAsync(TestOptions.Guard));
        await Wait.UntilAsync(() => Task.FromResult(Interlocked.Read(ref restarts) >= 1), "a replacement worker counted", TestOptions.Guard);
        Assert.True(Interlocked.Read(ref crashes) >= 1);
    }
}
