using System.Globalization;
using System.Text;
using Gamut.Jobs;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// What to record for a job that did not succeed: a retry (with its delay from the job's backoff) while attempts are
/// left and the failure is retryable, else a failure with its dead-letter entry; a timeout as its policy says; a dead
/// letter for a job that cannot run here at all.
/// </summary>
internal static class Outcomes
{
    public static Completion Failure(TakenJob job, Exception e, bool retryable)
    {
        var error = JobError.From(e);
        var code = e switch
        {
            JobTimeoutException => "timeout",
            Gamut.Pool.WorkerCrashedException => "crashed",
            _ => "failed",
        };
        var body = DeadLetterEntry.Error(code, error.Type, error.Message, error.StackTrace);
        var policy = Backoff.Parse(job.Backoff, job.MaxAttempts);
        var failures = job.Failures + 1;
        if (retryable && failures < policy.MaxAttempts)
        {
            var delay = (long)policy.DelayBefore(failures + 1).TotalMilliseconds;
            return Completion.Create(job, "retry", body, Encoding.ASCII.GetBytes(delay.ToString(CultureInfo.InvariantCulture)));
        }

        var detail = $"{error.Type}: {error.Message}";
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, "failed", detail, failures);
        return Completion.Create(job, "fail", body, entry);
    }

    public static Completion TimedOut(TakenJob job, TimeSpan limit, string how)
    {
        var error = new JobTimeoutException(job.Name, job.Id, limit, how);
        var policy = Backoff.Parse(job.Backoff, job.MaxAttempts);
        if (policy.RetryOnTimeout)
        {
            return Failure(job, error, retryable: true);
        }

        var body = DeadLetterEntry.Error("timeout", typeof(JobTimeoutException).FullName!, error.Message);
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, "timeout", error.Message, job.Failures + 1);
        return Completion.Create(job, "fail", body, entry);
    }

    public static Completion Dead(TakenJob job, string reason, string detail)
    {
        var body = DeadLetterEntry.Error("dead", "Gamut.Redis.DeadLetter", detail, reason: reason);
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, reason, detail, (int)job.Fence);
        return Completion.Create(job, "dead", body, entry);
    }

    /// <summary>A name or format from outside, cut for a message.</summary>
    public static string Clip(string s) => s.Length <= 100 ? s : string.Concat(s.AsSpan(0, 100), "…");
}
