using System.Diagnostics;
using Gamut.Jobs;

namespace Gamut.Redis.Worker;

/// <summary>
/// What a Redis worker records of each run: a <c>process {queue}</c> consumer span, child of the producer context the
/// job carried (so one trace goes from the enqueue to this run on any machine), and the job counters and duration
/// with <c>gamut.executor=redis</c>. Each instrument is tested for a listener first.
/// </summary>
internal static class WorkerTelemetry
{
    private static readonly KeyValuePair<string, object?> Executor = new(GamutTelemetry.ExecutorTag, "redis");

    /// <summary>Starts the delivery's <c>process</c> span (linked to the previous delivery's, when it left one) and keeps its context in <see cref="TakenJob.Span"/>.</summary>
    public static Activity? Start(TakenJob job)
    {
        var activity = GamutTelemetry.StartProcess("gamut.redis", job.Queue.Queue, job.Name, job.Id, (int)Math.Min(job.Fence, int.MaxValue), job.TraceParent, job.TraceState, job.PreviousSpan);
        if (activity is { Recorded: true, IdFormat: ActivityIdFormat.W3C })
        {
            job.Span = activity.Id;
        }

        return activity;
    }

    /// <summary>Counts the start; returns the start time when durations are recorded (else 0).</summary>
    public static long Started(TakenJob job)
    {
        if (GamutTelemetry.JobsStarted.Enabled)
        {
            GamutTelemetry.JobsStarted.Add(1, Executor, new(GamutTelemetry.JobTag, job.Name));
        }

        return GamutTelemetry.JobDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary>Counts the outcome (a completion kind: ok, retry, fail, dead, cancel, back) and ends the span.</summary>
    public static void Ended(TakenJob job, string kind, long started, Activity? activity)
    {
        KeyValuePair<string, object?> name = new(GamutTelemetry.JobTag, job.Name);
        string? error = kind switch
        {
            "ok" or "back" => null,
            "cancel" => "canceled",
            "dead" => "dead-lettered",
            _ => "failed",
        };
        switch (kind)
        {
            case "ok" when GamutTelemetry.JobsCompleted.Enabled:
                GamutTelemetry.JobsCompleted.Add(1, Executor, name);
                break;
            case "retry" or "fail" or "cancel" when GamutTelemetry.JobsFailed.Enabled:
                GamutTelemetry.JobsFailed.Add(1, Executor, name, new(GamutTelemetry.ErrorTypeTag, error));
                break;
        }

        if (kind == "retry" && GamutTelemetry.JobsRetried.Enabled)
        {
            GamutTelemetry.JobsRetried.Add(1, Executor, name);
        }

        // A failure out of attempts is dead-lettered too (with its reason), as is a job that cannot run at all.
        if (kind is "fail" or "dead" && GamutTelemetry.JobsDeadLettered.Enabled)
        {
            GamutTelemetry.JobsDeadLettered.Add(1, Executor, name);
        }

        if (started != 0)
        {
            GamutTelemetry.JobDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Executor, name, new(GamutTelemetry.ErrorTypeTag, error));
        }

        if (activity is not null)
        {
            activity.SetTag("gamut.job.outcome", kind);
            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, kind);
                activity.SetTag(GamutTelemetry.ErrorTypeTag, error);
            }
        }
    }
}
