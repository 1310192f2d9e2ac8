namespace Gamut.Redis;

/// <summary>What a worker has done since it started.</summary>
/// <param name="Succeeded">Jobs whose result was recorded.</param>
/// <param name="Failed">Jobs that failed for good (after their last attempt).</param>
/// <param name="Retried">Failed attempts put back for another try.</param>
/// <param name="DeadLettered">Entries this worker dead-lettered (unknown names, bad payloads, malformed raw entries).</param>
/// <param name="Duplicates">Outcomes rejected because the job had passed to another worker or already ended.</param>
/// <param name="Cancelled">Jobs cancelled while running here.</param>
/// <param name="HandedBack">Jobs handed back to their queue at shutdown.</param>
/// <param name="Reaped">Jobs this worker returned to their queue from dead workers.</param>
public readonly record struct WorkerCounters(long Succeeded, long Failed, long Retried, long DeadLettered, long Duplicates, long Cancelled, long HandedBack, long Reaped);
