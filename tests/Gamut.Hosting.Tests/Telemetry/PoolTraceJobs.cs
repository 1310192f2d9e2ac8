using System.Collections.Concurrent;
using System.Diagnostics;
using Gamut.Jobs;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>
/// The pool's initializer for trace tests: in each worker process it listens to Gamut's activity source (as an
/// OpenTelemetry SDK set up there would), so the worker records the spans the pool's trace context asks for.
/// </summary>
[Job("trace.pool.listen")]
public sealed class ListenInWorker : IJob<int, int>
{
    private static ActivityListener? s_listener;

    /// <summary>The Gamut spans this worker process ended, as <c>name status error.type</c>.</summary>
    public static ConcurrentQueue<string> Stopped { get; } = new();

    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        s_listener ??= new ActivityListener
        {
            ShouldListenTo = source => source.Name == GamutTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Stopped.Enqueue($"{a.DisplayName} {a.Status} {a.GetTagItem("error.type") ?? "-"}"),
        };
        ActivitySource.AddActivityListener(s_listener);
        return ValueTask.FromResult(0);
    }
}

/// <summary>
/// Reports the span it runs in, as the worker saw it: <c>pid traceId parentSpanId kind name</c>, or <c>pid none</c>.
/// </summary>
[Job("trace.pool.where")]
public sealed class WhereTraced : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) =>
        ValueTask.FromResult(Activity.Current is { } a
            ? $"{Environment.ProcessId} {a.TraceId} {a.ParentSpanId} {a.Kind} {a.DisplayName} {a.GetTagItem("messaging.system")}"
            : $"{Environment.ProcessId} none");
}

/// <summary>The spans its worker process has ended so far (see <see cref="ListenInWorker"/>), one per line.</summary>
[Job("trace.pool.stopped")]
public sealed class StoppedSpans : IJob<int, string>
{
    public ValueTask<string> RunAsync(int input, JobContext context) => ValueTask.FromResult(string.Join('\n', ListenInWorker.Stopped));
}

/// <summary>Throws on negative inputs.</summary>
[Job("trace.pool.fails-negative")]
public sealed class FailsNegative : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        input < 0 ? throw new InvalidOperationException($"{input} is negative") : ValueTask.FromResult(input);
}
