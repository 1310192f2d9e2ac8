using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>
/// A pool job carries its submitter's trace context to the worker process: the worker's <c>process</c> span is the
/// child of the submitter's span (single jobs and map chunks), and a job submitted with no activity starts none.
/// </summary>
[Collection(TraceCollection.Name)]
public sealed class PoolTraceTests
{
    private const string CallerName = "Gamut.Hosting.Tests.PoolCaller";
    private static readonly ActivitySource Caller = new(CallerName);

    [Fact]
    public async Task A_pool_jobs_span_in_its_worker_process_is_the_child_of_the_submitters_span()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CallerName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var registry = new JobRegistry().Add<ListenInWorker, int, int>().Add<WhereTraced, string, string>();
        var where = JobRef.To<WhereTraced, string, string>();
        await using var pool = new ProcessPool(new ProcessPoolOptions
        {
            Registry = registry,
            Workers = 1,
            Initializer = WorkerInitializer.For(JobRef.To<ListenInWorker, int, int>(), 0),
        });

        // No activity: nothing to carry, so the worker (which listens) starts no span.
        Assert.Null(Activity.Current);
        Assert.EndsWith(" none", await pool.SubmitAsync(where, "untraced").WaitAsync(TestOptions.Guard), StringComparison.Ordinal);

        using (var request = Caller.StartActivity("request"))
        {
            Assert.NotNull(request);
            var single = (await pool.SubmitAsync(where, "one").WaitAsync(TestOptions.Guard)).Split(' ');
            Assert.NotEqual(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), single[0]);
            Assert.Equal([request.TraceId.ToString(), request.SpanId.ToString(), "Consumer", "process", "trace.pool.where", "gamut.pool"], single[1..]);

            // A map's chunks carry the context the map started under.
            var mapped = new List<string>();
            await foreach (var r in pool.MapAsync(where, ["a", "b", "c"]).Values().WithCancellation(CancellationToken.None))
            {
                mapped.Add(r);
            }

            Assert.Equal(3, mapped.Count);
            Assert.All(mapped, r => Assert.Equal($"{request.TraceId} {request.SpanId} Consumer", string.Join(' ', r.Split(' ')[1..4])));
        }
    }

    [Fact]
    public async Task A_pool_job_whose_run_fails_marks_its_span_Error_with_its_error_type_and_a_chunk_with_a_failed_item_too()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CallerName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var registry = new JobRegistry().Add<ListenInWorker, int, int>().Add<FailsNegative, int, int>().Add<StoppedSpans, int, string>();
        var fails = JobRef.To<FailsNegative, int, int>();
        await using var pool = new ProcessPool(new ProcessPoolOptions
        {
            Registry = registry,
            Workers = 1,
            Initializer = WorkerInitializer.For(JobRef.To<ListenInWorker, int, int>(), 0),
        });

        using (Caller.StartActivity("request"))
        {
            Assert.Equal(1, await pool.SubmitAsync(fails, 1).WaitAsync(TestOptions.Guard));
            await Assert.ThrowsAsync<JobFailedException>(() => pool.SubmitAsync(fails, -1).WaitAsync(TestOptions.Guard));
            var outcomes = new List<bool>();
            await foreach (var o in pool.MapAsync(fails, [1, -2, 3], new MapOptions { ChunkSize = 3 }).WithCancellation(CancellationToken.None))
            {
                outcomes.Add(o.IsSuccess);
            }

            Assert.Equal([true, false, true], outcomes);
        }

        // The spans the worker ended, in order: the good job's, the failed job's, the chunk's.
        var stopped = (await pool.SubmitAsync(JobRef.To<StoppedSpans, int, string>(), 0).WaitAsync(TestOptions.Guard)).Split('\n');
        Assert.Equal(
            ["process trace.pool.fails-negative Unset -", "process trace.pool.fails-negative Error failed", "process trace.pool.fails-negative Error failed"],
            stopped);
    }
}
