using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gamut.Jobs;

/// <summary>
/// Gamut's tracing and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>. Subscribe with OpenTelemetry (<c>.AddSource("Gamut")</c>, <c>.AddMeter("Gamut")</c>) or a
/// <see cref="MeterListener"/>/<see cref="ActivityListener"/>; when nobody listens, recording costs a flag test.
/// </summary>
/// <remarks>
/// <para>Instruments (tags: <c>gamut.executor</c>, and <c>gamut.job</c> where a job is known):</para>
/// <list type="bullet">
/// <item><c>gamut.jobs.submitted</c>, <c>gamut.jobs.started</c>, <c>gamut.jobs.completed</c> (counters).</item>
/// <item><c>gamut.jobs.failed</c> (counter; tag <c>error.type</c>: <c>failed</c>, <c>canceled</c> or <c>timeout</c>).</item>
/// <item><c>gamut.job.duration</c> (histogram, seconds, from start to end of a run).</item>
/// <item><c>gamut.executor.queue_depth</c> (observable gauge: jobs accepted and not yet started, per executor).</item>
/// <item><c>gamut.loop.blocked</c> (counter) and <c>gamut.loop.blocked.duration</c> (histogram, seconds): an event loop
/// handler that ran longer than the loop's threshold.</item>
/// </list>
/// <para>Each job that runs while the source has listeners is an activity named <c>gamut.job</c>, with tags
/// <c>gamut.job</c>, <c>gamut.job.id</c> and <c>gamut.job.attempt</c>.</para>
/// </remarks>
public static class GamutTelemetry
{
    /// <summary>The name of Gamut's activity source and meter.</summary>
    public const string Name = "Gamut";

    internal const string ExecutorTag = "gamut.executor";
    internal const string JobTag = "gamut.job";
    internal const string JobIdTag = "gamut.job.id";
    internal const string AttemptTag = "gamut.job.attempt";
    internal const string ErrorTypeTag = "error.type";

    private static readonly string? Version = typeof(GamutTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Gamut's activity source (every layer of Gamut starts its activities here).</summary>
    internal static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gamut's meter (every layer of Gamut creates its instruments here).</summary>
    internal static Meter Meter { get; } = new(Name, Version);

    internal static Counter<long> JobsSubmitted { get; } = Meter.CreateCounter<long>("gamut.jobs.submitted", "{job}", "Jobs accepted by an executor.");

    internal static Counter<long> JobsStarted { get; } = Meter.CreateCounter<long>("gamut.jobs.started", "{job}", "Job runs started.");

    internal static Counter<long> JobsCompleted { get; } = Meter.CreateCounter<long>("gamut.jobs.completed", "{job}", "Jobs that gave a result.");

    internal static Counter<long> JobsFailed { get; } = Meter.CreateCounter<long>("gamut.jobs.failed", "{job}", "Jobs that failed, were canceled or timed out.");

    internal static Histogram<double> JobDuration { get; } = Meter.CreateHistogram<double>("gamut.job.duration", "s", "How long job runs took.");

    internal static Counter<long> LoopBlocked { get; } = Meter.CreateCounter<long>("gamut.loop.blocked", "{handler}", "Event loop handlers that ran longer than the loop's threshold.");

    internal static Histogram<double> LoopBlockedDuration { get; } = Meter.CreateHistogram<double>("gamut.loop.blocked.duration", "s", "How long a handler blocked an event loop (at least).");

    // Queue depth is observed only when a listener collects, so keeping it costs nothing per job.
    private static readonly List<WeakReference<IQueueDepthSource>> DepthSources = [];

    static GamutTelemetry()
    {
        Meter.CreateObservableGauge("gamut.executor.queue_depth", ObserveQueueDepth, "{job}", "Jobs accepted by an executor and not yet started.");
    }

    internal static void TrackQueueDepth(IQueueDepthSource source)
    {
        lock (DepthSources)
        {
            DepthSources.RemoveAll(static w => !w.TryGetTarget(out _));
            DepthSources.Add(new WeakReference<IQueueDepthSource>(source));
        }
    }

    internal static void UntrackQueueDepth(IQueueDepthSource source)
    {
        lock (DepthSources)
        {
            DepthSources.RemoveAll(w => !w.TryGetTarget(out var s) || ReferenceEquals(s, source));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveQueueDepth()
    {
        List<Measurement<long>> measurements = [];
        lock (DepthSources)
        {
            foreach (var weak in DepthSources)
            {
                if (weak.TryGetTarget(out var source))
                {
                    measurements.Add(new Measurement<long>(source.QueueDepth, new KeyValuePair<string, object?>(ExecutorTag, source.Name)));
                }
            }
        }

        return measurements;
    }
}

/// <summary>Something with a queue whose depth <see cref="GamutTelemetry"/> reports.</summary>
internal interface IQueueDepthSource
{
    string Name { get; }

    long QueueDepth { get; }
}
