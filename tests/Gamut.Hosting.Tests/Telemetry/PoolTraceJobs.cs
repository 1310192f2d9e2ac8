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

    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        s_listener ??= new ActivityListener
        {
            ShouldListenTo = source => source.Name == GamutTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
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
