namespace Gamut.Redis;

/// <summary>
/// Redis did not answer in time, or the connection broke, and retries did not get through. The operation is
/// <em>indeterminate</em>: it may or may not have happened. Every Gamut client operation is safe to retry:
/// enqueue is idempotent on the job id (retry with the same <see cref="Job"/>), cancel and watch by nature.
/// </summary>
public sealed class RedisUnavailableException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="operation">What was being done, e.g. "enqueue of job X on queue 'q'".</param>
    /// <param name="job">The job concerned, when there is one.</param>
    /// <param name="innerException">The client's own error (a timeout or a connection failure).</param>
    public RedisUnavailableException(string operation, JobHandle? job, Exception? innerException)
        : base($"Redis did not confirm the {operation}: {innerException?.Message ?? "no answer"}. It may or may not have happened; retrying is safe{(job is null ? "" : " (with the same job id: enqueue is idempotent on it)")}", innerException)
    {
        Operation = operation;
        Job = job;
    }

    /// <summary>What was being done.</summary>
    public string Operation { get; }

    /// <summary>The job concerned (its id is the idempotency key to retry with), when there is one.</summary>
    public JobHandle? Job { get; }
}
