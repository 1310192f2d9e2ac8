using System.Diagnostics;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

// Recording what runs: counters, durations, activities and the failure log. Every instrument is tested for a
// listener first, so an executor nobody watches pays a flag test per event.
public abstract partial class InProcessExecutor
{
    internal long RecordStart(ExecutorRun run, out Activity? activity)
    {
        if (GamutTelemetry.JobsStarted.Enabled)
        {
            GamutTelemetry.JobsStarted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
        }

        activity = GamutTelemetry.Source.HasListeners() ? StartActivity(run) : null;
        return GamutTelemetry.JobDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    internal void Finished(ExecutorRun run, Exception? error, long startTimestamp, Activity? activity)
    {
        if (error is null)
        {
            if (GamutTelemetry.JobsCompleted.Enabled)
            {
                GamutTelemetry.JobsCompleted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
            }
        }
        else
        {
            var kind = ErrorKind(error);
            if (GamutTelemetry.JobsFailed.Enabled)
            {
                GamutTelemetry.JobsFailed.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName), new(GamutTelemetry.ErrorTypeTag, kind));
            }

            if (Logger.IsEnabled(LogLevel.Debug))
            {
                ExecutorLog.JobFailed(Logger, run.JobName, run.JobId, Name, kind, error);
            }
        }

        if (startTimestamp != 0)
        {
            GamutTelemetry.JobDuration.Record(
                Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                _executorTag,
                new(GamutTelemetry.JobTag, run.JobName),
                new(GamutTelemetry.ErrorTypeTag, error is null ? null : ErrorKind(error)));
        }

        if (activity is not null)
        {
            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
                activity.SetTag(GamutTelemetry.ErrorTypeTag, ErrorKind(error));
            }

            activity.Dispose();
        }

        Exit();
    }

    private static string ErrorKind(Exception error) => error switch
    {
        OperationCanceledException => "canceled",
        JobTimeoutException => "timeout",
        _ => "failed",
    };

    private static Activity? StartActivity(ExecutorRun run)
    {
        var parent = run.TraceParent;
        var previous = run.PreviousAttempt;
        var activity = previous != default
            ? GamutTelemetry.Source.StartActivity("gamut.job", ActivityKind.Internal, parent, links: [new ActivityLink(previous)])
            : parent == default
                ? GamutTelemetry.Source.StartActivity("gamut.job")
                : GamutTelemetry.Source.StartActivity("gamut.job", ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GamutTelemetry.JobTag, run.JobName);
            activity.SetTag(GamutTelemetry.JobIdTag, run.JobId);
            activity.SetTag(GamutTelemetry.AttemptTag, run.Attempt);
        }

        return activity;
    }
}
