using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's per-job instruments on Gamut's meter (tags <c>gamut.executor=processes</c>, <c>gamut.job</c>). They count
/// items, not the units that carry them: a map chunk of 1,000 inputs is 1,000 submitted, started and completed jobs.
/// Submitted: once per item accepted. Started: each time an item is handed to a worker (a retry, or an item requeued
/// because its worker died before reaching it, counts again). Completed: items a worker answered with a result.
/// Failed: item attempts that ended in error (a retried attempt too), tagged <c>error.type</c>. Retried: failed
/// attempts after which the item runs again. Duration: from an
/// item's hand-off to its answer (for a map chunk, the answer's share: the time since the unit's previous answer or
/// hand-off, divided by the items it answered). Every call tests its instrument first, so a pool nobody listens to
/// pays a flag test per unit, never per item.
/// </summary>
internal static class PoolMetrics
{
    public const string Executor = "processes";

    private static readonly KeyValuePair<string, object?> ExecutorTag = new(GamutTelemetry.ExecutorTag, Executor);

    /// <summary>A unit's items were accepted (not a retry or a requeue).</summary>
    public static void Submitted(PoolJob job)
    {
        if (GamutTelemetry.JobsSubmitted.Enabled)
        {
            GamutTelemetry.JobsSubmitted.Add(job.ItemCount, ExecutorTag, new(GamutTelemetry.JobTag, job.Name));
        }
    }

    /// <summary>A unit was handed to a worker (called under the pool's lock: a flag test, and the clock only when durations are recorded).</summary>
    public static void Started(PoolJob job)
    {
        if (GamutTelemetry.JobsStarted.Enabled)
        {
            GamutTelemetry.JobsStarted.Add(job.ItemCount, ExecutorTag, new(GamutTelemetry.JobTag, job.Name));
        }

        job.MarkedAt = GamutTelemetry.JobDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary><paramref name="items"/> items of the unit failed an attempt and will run again.</summary>
    public static void Retried(PoolJob job, int items)
    {
        if (GamutTelemetry.JobsRetried.Enabled)
        {
            GamutTelemetry.JobsRetried.Add(items, ExecutorTag, new(GamutTelemetry.JobTag, job.Name));
        }
    }

    /// <summary>
    /// Each item's share of the time since the unit's hand-off (or its previous answer), in seconds, and marks now as
    /// its last answer; -1 when durations are not recorded (or the unit never reached a worker).
    /// </summary>
    public static double Share(PoolJob job, int items)
    {
        var since = job.MarkedAt;
        if (since == 0 || items <= 0 || !GamutTelemetry.JobDuration.Enabled)
        {
            return -1;
        }

        var now = Stopwatch.GetTimestamp();
        job.MarkedAt = now;
        return Stopwatch.GetElapsedTime(since, now).TotalSeconds / items;
    }

    /// <summary><paramref name="items"/> items of the unit were answered with a result, each after <paramref name="seconds"/> (see <see cref="Share"/>).</summary>
    public static void Completed(PoolJob job, int items, double seconds)
    {
        if (items <= 0)
        {
            return;
        }

        if (GamutTelemetry.JobsCompleted.Enabled)
        {
            GamutTelemetry.JobsCompleted.Add(items, ExecutorTag, new(GamutTelemetry.JobTag, job.Name));
        }

        RecordDuration(job, items, seconds, null);
    }

    /// <summary>An attempt of <paramref name="items"/> items of the unit ended in error, each after <paramref name="seconds"/> (see <see cref="Share"/>).</summary>
    public static void Failed(PoolJob job, int items, string errorType, double seconds)
    {
        if (items <= 0)
        {
            return;
        }

        if (GamutTelemetry.JobsFailed.Enabled)
        {
            GamutTelemetry.JobsFailed.Add(items, ExecutorTag, new(GamutTelemetry.JobTag, job.Name), new(GamutTelemetry.ErrorTypeTag, errorType));
        }

        RecordDuration(job, items, seconds, errorType);
    }

    /// <summary>An attempt of the unit's <paramref name="items"/> items ended in error, timed from its hand-off.</summary>
    public static void Failed(PoolJob job, int items, Exception error) => Failed(job, items, ErrorType(error), Share(job, items));

    /// <summary>The <c>error.type</c> of an outcome: <c>canceled</c>, <c>timeout</c> or <c>failed</c> (a crash, a thrown exception, a bad payload).</summary>
    public static string ErrorType(Exception error) => error switch
    {
        OperationCanceledException => "canceled",
        JobTimeoutException => "timeout",
        _ => "failed",
    };

    private static void RecordDuration(PoolJob job, int items, double seconds, string? errorType)
    {
        if (seconds < 0 || !GamutTelemetry.JobDuration.Enabled)
        {
            return;
        }

        KeyValuePair<string, object?> name = new(GamutTelemetry.JobTag, job.Name);
        KeyValuePair<string, object?> error = new(GamutTelemetry.ErrorTypeTag, errorType);
        for (var i = 0; i < items; i++)
        {
            GamutTelemetry.JobDuration.Record(seconds, ExecutorTag, name, error);
        }
    }
}
