using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>
/// One attempt (delivery) of a job (docs/redis-protocol.md section 4.3): who ran it, when, and how it ended. An
/// attempt after which the job went on was written to the record's history by the script that ended it; the one
/// running now, or the one that ended the job, is read from the record's own fields.
/// </summary>
public sealed record JobAttempt
{
    /// <summary>The attempt number: the delivery's fencing token, 1 for the first.</summary>
    public required long Number { get; init; }

    /// <summary>
    /// How it ended: <c>ok</c>, <c>retry</c> (failed, the job runs again), <c>failed</c>, <c>dead</c> (dead-lettered),
    /// <c>cancelled</c>, <c>lost</c> (its worker died or no longer held it; the job went back to the queue), <c>back</c>
    /// (handed back at the worker's shutdown), or <c>running</c> for the delivery running now. A word from a newer
    /// version is kept as it is.
    /// </summary>
    public required string Outcome { get; init; }

    /// <summary>The worker that ran it.</summary>
    public string? Worker { get; init; }

    /// <summary>The worker's host, when its heartbeat said so when it took the job.</summary>
    public string? Host { get; init; }

    /// <summary>The worker's process id, when its heartbeat said so when it took the job.</summary>
    public long? Pid { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it ended (null while it runs).</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The error it ended with, if any (in the history, type, message and stack are cut at 4,096 bytes each).</summary>
    public JobError? Error { get; init; }

    /// <summary>The error's stable code (protocol.md), when the worker sent one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>For an attempt that dead-lettered its job, why (docs/redis-protocol.md, "Dead-letter entries").</summary>
    public string? DeadReason { get; init; }
}
