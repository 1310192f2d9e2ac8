using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gamut.Jobs;

/// <summary>
/// Gamut's tracing and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>. Subscribe with OpenTelemetry (<c>.AddSource("Gamut")</c>, <c>.AddMeter("Gamut")</c>) or a
/// <see cref="MeterListener"/>/<see cref="ActivityListener"/>; when nobody listens, recording costs a flag test.
/// </summary>
/// <remarks>
/// <para>Instruments (tags: <c>gamut.executor</c>, and <c>gamut.job</c> where a job is known; a process pool counts
/// items, each input of a map one job):</para>
/// <list type="bullet">
/// <item><c>gamut.jobs.submitted</c>, <c>gamut.jobs.started</c>, <c>gamut.jobs.completed</c> (counters).</item>
/// <item><c>gamut.jobs.retried</c> and <c>gamut.jobs.dead_lettered</c> (counters; Redis workers, where a failed attempt
/// goes back to the queue or to the dead-letter list; process pools count their retries too).</item>
/// <item><c>gamut.jobs.failed</c> (counter; tag <c>error.type</c>: <c>failed</c>, <c>canceled</c> or <c>timeout</c>).</item>
/// <item><c>gamut.pool.worker.crashes</c> and <c>gamut.pool.worker.restarts</c> (counters): process-pool workers that
/// ended unexpectedly, and the replacements started.</item>
/// <item><c>gamut.job.duration</c> (histogram, seconds, from start to end of a run).</item>
/// <item><c>gamut.executor.queue_depth</c> (observable gauge: jobs accepted and not yet started, per executor; a process
/// pool's items waiting for a worker).</item>
/// <item><c>gamut.executor.in_flight</c> (observable gauge: jobs running now, per executor; a process pool's items handed
/// to workers and not yet answered).</item>
/// <item><c>gamut.redis.queue.depth</c> (observable gauge: jobs in the Redis queues a worker of this process serves, by
/// state, read from Redis only when observed).</item>
/// <item><c>gamut.loop.blocked</c> (counter) and <c>gamut.loop.blocked.duration</c> (histogram, seconds): an event loop
/// handler that ran longer than the loop's threshold.</item>
/// </list>
/// <para>Each job that runs while the source has listeners is an activity named <c>gamut.job</c>, with tags
/// <c>gamut.job</c>, <c>gamut.job.id</c> and <c>gamut.job.attempt</c>. Across Redis the OpenTelemetry messaging
/// conventions apply: an enqueue is a <c>send {queue}</c> producer span whose W3C context travels in the job record
/// (<c>tp</c>/<c>ts</c>, docs/redis-protocol.md), and a worker's run is a <c>process {queue}</c> consumer span, its
/// child, in whichever process or machine runs it (docs/telemetry.md).</para>
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
    internal const string MessagingSystemTag = "messaging.system";
    internal const string MessagingOperationTypeTag = "messaging.operation.type";
    internal const string MessagingOperationNameTag = "messaging.operation.name";
    internal const string MessagingDestinationTag = "messaging.destination.name";
    internal const string MessagingMessageIdTag = "messaging.message.id";

    private static readonly string? Version = typeof(GamutTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Gamut's activity source (every layer of Gamut starts its activities here).</summary>
    internal static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gamut's meter (every layer of Gamut creates its instruments here).</summary>
    internal static Meter Meter { get; } = new(Name, Version);

    internal static Counter<long> JobsSubmitted { get; } = Meter.CreateCounter<long>("gamut.jobs.submitted", "{job}", "Jobs accepted by an executor.");

    internal static Counter<long> JobsStarted { get; } = Meter.CreateCounter<long>("gamut.jobs.started", "{job}", "Job runs started.");

    internal static Counter<long> JobsCompleted { get; } = Meter.CreateCounter<long>("gamut.jobs.completed", "{job}", "Jobs that gave a result.");

    internal static Counter<long> JobsFailed { get; } = Meter.CreateCounter<long>("gamut.jobs.failed", "{job}", "Jobs that failed, were canceled or timed out.");

    internal static Counter<long> JobsRetried { get; } = Meter.CreateCounter<long>("gamut.jobs.retried", "{job}", "Failed attempts that were scheduled to run again.");

    internal static Counter<long> JobsDeadLettered { get; } = Meter.CreateCounter<long>("gamut.jobs.dead_lettered", "{job}", "Jobs moved to a dead-letter list.");

    internal static Counter<long> WorkerCrashes { get; } = Meter.CreateCounter<long>("gamut.pool.worker.crashes", "{worker}", "Process-pool workers that ended without being asked to.");

    internal static Counter<long> WorkerRestarts { get; } = Meter.CreateCounter<long>("gamut.pool.worker.restarts", "{worker}", "Process-pool workers started to replace one that ended.");

    internal static Histogram<double> JobDuration { get; } = Meter.CreateHistogram<double>("gamut.job.duration", "s", "How long job runs took.");

    internal static Counter<long> LoopBlocked { get; } = Meter.CreateCounter<long>("gamut.loop.blocked", "{handler}", "Event loop handlers that ran longer than the loop's threshold.");

    internal static Histogram<double> LoopBlockedDuration { get; } = Meter.CreateHistogram<double>("gamut.loop.blocked.duration", "s", "How long a handler blocked an event loop (at least).");

    // Queue depth is observed only when a listener collects, so keeping it costs nothing per job.
    private static readonly List<WeakReference<IQueueDepthSource>> DepthSources = [];

    static GamutTelemetry()
    {
        Meter.CreateObservableGauge("gamut.executor.queue_depth", ObserveQueueDepth, "{job}", "Jobs accepted by an executor and not yet started.");
        Meter.CreateObservableGauge("gamut.executor.in_flight", ObserveInFlight, "{job}", "Jobs an executor is running now.");
    }

    /// <summary>
    /// Starts the producer span of an enqueue (<c>send {destination}</c>), when anybody listens; its context is what the
    /// job carries (see <see cref="StartProcess"/>).
    /// </summary>
    internal static Activity? StartSend(string system, string destination, string jobName, string? jobId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity("send " + destination, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingSystemTag, system);
            activity.SetTag(MessagingOperationTypeTag, "send");
            activity.SetTag(MessagingOperationNameTag, "send");
            activity.SetTag(MessagingDestinationTag, destination);
            activity.SetTag(MessagingMessageIdTag, jobId);
            activity.SetTag(JobTag, jobName);
        }

        return activity;
    }

    /// <summary>
    /// Starts the consumer span of a job's run (<c>process {destination}</c>) as the child of the producer context it
    /// carried (<paramref name="traceParent"/>, W3C); with none (or an invalid one) it continues the current activity.
    /// A retry's span links to the span of the attempt before it (<paramref name="previousAttempt"/>, W3C), when known.
    /// </summary>
    internal static Activity? StartProcess(string system, string destination, string jobName, string jobId, int attempt, string? traceParent, string? traceState, string? previousAttempt = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = ActivityContext.TryParse(previousAttempt, null, isRemote: true, out var previous) ? [new ActivityLink(previous)] : null;
        var activity = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent)
            ? Source.StartActivity("process " + destination, ActivityKind.Consumer, parent, links: links)
            : Source.StartActivity("process " + destination, ActivityKind.Consumer, default(ActivityContext), links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingSystemTag, system);
            activity.SetTag(MessagingOperationTypeTag, "process");
            activity.SetTag(MessagingOperationNameTag, "process");
            activity.SetTag(MessagingDestinationTag, destination);
            activity.SetTag(MessagingMessageIdTag, jobId);
            activity.SetTag(JobTag, jobName);
            activity.SetTag(JobIdTag, jobId);
            activity.SetTag(AttemptTag, attempt);
        }

        return activity;
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

    private static IEnumerable<Measurement<long>> ObserveQueueDepth() => Observe(static s => s.QueueDepth);

    private static IEnumerable<Measurement<long>> ObserveInFlight() => Observe(static s => s.InFlight);

    private static IEnumerable<Measurement<long>> Observe(Func<IQueueDepthSource, long> measure)
    {
        // One measurement per executor name: two pools (or two executors named alike) in one process add up, rather
        // than giving an exporter two values for one set of tags.
        List<IQueueDepthSource> sources = [];
        lock (DepthSources)
        {
            foreach (var weak in DepthSources)
            {
                if (weak.TryGetTarget(out var source))
                {
                    sources.Add(source);
                }
            }
        }

        // Measured outside the list's lock: a source may take its own lock (the pool's) to count.
        Dictionary<string, long> byName = new(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            byName[source.Name] = byName.GetValueOrDefault(source.Name) + measure(source);
        }

        List<Measurement<long>> measurements = new(byName.Count);
        foreach (var (name, value) in byName)
        {
            measurements.Add(new Measurement<long>(value, new KeyValuePair<string, object?>(ExecutorTag, name)));
        }

        return measurements;
    }
}

/// <summary>Something with a queue whose depth <see cref="GamutTelemetry"/> reports.</summary>
internal interface IQueueDepthSource
{
    string Name { get; }

    long QueueDepth { get; }

    /// <summary>Jobs running now (accepted and started, not finished).</summary>
    long InFlight { get; }
}
