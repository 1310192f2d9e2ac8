namespace Gamut.Redis;

/// <summary>Which list of a queue to page through.</summary>
public enum JobList
{
    /// <summary>The ready list, newest first.</summary>
    Queued,

    /// <summary>The delayed set (delayed jobs and retries waiting for their backoff), soonest first.</summary>
    Delayed,

    /// <summary>The in-flight lists of the queue's registered workers.</summary>
    Running,

    /// <summary>The dead-letter list (failed and dead-lettered jobs), newest first.</summary>
    Dead,
}

/// <summary>One row of a listed page: a job (or a raw dead-letter entry that has no job).</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Id">The job id, or null for a raw entry that never became a job.</param>
/// <param name="Name">The job name when known.</param>
/// <param name="State">The job's state as stored, or the list it was found in when it has no record.</param>
/// <param name="At">When it was created, or for a dead letter, when it was dead-lettered.</param>
/// <param name="Reason">For a dead letter, why.</param>
/// <param name="Detail">For a dead letter, the detail (or the start of a raw entry).</param>
public sealed record JobListing(string Queue, string? Id, string? Name, string State, DateTimeOffset? At, string? Reason = null, string? Detail = null);
