using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>A job's whole record as an operator sees it (docs/redis-protocol.md, "The job record").</summary>
public sealed record JobRecord
{
    /// <summary>The job.</summary>
    public required JobHandle Job { get; init; }

    /// <summary>The state as stored: <c>queued</c>, <c>delayed</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>dead</c>, <c>cancelled</c>.</summary>
    public required string State { get; init; }

    /// <summary>The registered job name.</summary>
    public string? Name { get; init; }

    /// <summary>The serialized input (gone once the job succeeded).</summary>
    public string? Input { get; init; }

    /// <summary>The serialized result.</summary>
    public string? Result { get; init; }

    /// <summary>The last error (for a dead-lettered job, its type is <c>Gamut.Redis.DeadLetter</c>).</summary>
    public JobError? Error { get; init; }

    /// <summary>For a dead-lettered job, why (docs/redis-protocol.md, "Dead-letter entries").</summary>
    public string? DeadReason { get; init; }

    /// <summary>Deliveries: how many times a worker took it (its attempt number).</summary>
    public int Deliveries { get; init; }

    /// <summary>Attempts that threw.</summary>
    public int Failures { get; init; }

    /// <summary>Deliveries lost with their worker.</summary>
    public int LostDeliveries { get; init; }

    /// <summary>How many attempts it may have.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The worker holding it, or that last held it.</summary>
    public string? Worker { get; init; }

    /// <summary>When it was enqueued.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When its current (or last) delivery started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The last progress report, JSON.</summary>
    public string? Progress { get; init; }

    /// <summary>Whether a cancel was asked for while it ran.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>On a ring, the instance holding it.</summary>
    public string? Instance { get; init; }

    /// <summary>
    /// Its attempts, newest first, at most 20 (docs/redis-protocol.md section 4.3): the delivery running now (outcome
    /// <c>running</c>) or the one that ended the job, read from the record's own fields, then the history the scripts
    /// kept. Empty for a job that never ran; a record written by an older version shows only its last attempt.
    /// </summary>
    public IReadOnlyList<JobAttempt> Attempts { get; init; } = [];
}
