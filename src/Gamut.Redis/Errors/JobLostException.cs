using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>
/// A job's record is gone from Redis while someone waited for it: Redis restarted without persistence, was
/// flushed, evicted the key, or failed over to a replica that never saw it (broker amnesia); or the finished
/// job's record outlived its result TTL. Waiting for it would hang forever, so the wait ends with this error.
/// </summary>
public sealed class JobLostException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="queue">The job's queue.</param>
    /// <param name="jobId">The job's id.</param>
    public JobLostException(string queue, string jobId)
        : base($"Job {jobId} on queue '{queue}' has no record in Redis any more: Redis lost its state (a restart without persistence, FLUSHALL, eviction, a failover) or the record expired")
    {
        Queue = queue;
        JobId = jobId;
    }

    /// <summary>The job's queue.</summary>
    public string Queue { get; }

    /// <summary>The job's id.</summary>
    public string JobId { get; }
}
