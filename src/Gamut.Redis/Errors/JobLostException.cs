using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>
/// A job's record is gone from Redis while someone waited for it: Redis restarted without persistence, was
/// flushed, evicted the key, or failed over to a replica that never saw it (broker amnesia); or the finished
/// job's record outlived its result TTL; or, on a ring, the instance that held it was removed at once
/// (<c>gamut ring remove --now</c>, see <see cref="Instance"/>). Waiting for it would hang forever, so the wait ends
/// with this error.
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

    /// <summary>Creates the error for a job whose ring instance was removed at once (<c>gamut ring remove --now</c>) before the job ended.</summary>
    /// <param name="queue">The job's queue.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="instance">The ring instance that held it, <c>host:port</c>.</param>
    public JobLostException(string queue, string jobId, string instance)
        : base($"Job {jobId} on queue '{queue}' was on ring instance {instance}, which was removed from the ring (gamut ring remove --now) before the job ended: no worker serves it any more")
    {
        Queue = queue;
        JobId = jobId;
        Instance = instance;
    }

    /// <summary>The ring instance that held the job when it was removed from the ring; null for the other losses.</summary>
    public string? Instance { get; }

    /// <summary>The job's queue.</summary>
    public string Queue { get; }

    /// <summary>The job's id.</summary>
    public string JobId { get; }
}
