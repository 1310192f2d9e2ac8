using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>A snapshot of a job's record.</summary>
public sealed record RedisJobStatus
{
    /// <summary>The job.</summary>
    public required JobHandle Job { get; init; }

    /// <summary>Its state.</summary>
    public required RedisJobState State { get; init; }

    /// <summary>The registered job name.</summary>
    public string? Name { get; init; }

    /// <summary>How many times it was handed to a worker (the current delivery's fencing token).</summary>
    public int Deliveries { get; init; }

    /// <summary>How many attempts threw.</summary>
    public int Failures { get; init; }

    /// <summary>How many deliveries were lost with their worker.</summary>
    public int LostDeliveries { get; init; }

    /// <summary>The worker that holds (or last held) it.</summary>
    public string? Worker { get; init; }

    /// <summary>When it was enqueued.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When its current (or last) delivery started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The last error, if an attempt failed.</summary>
    public JobError? Error { get; init; }

    /// <summary>The last progress report, as its JSON text.</summary>
    public string? Progress { get; init; }

    /// <summary>Whether a cancel was asked for while it ran.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>On a ring, the instance that holds the job (<c>host:port</c>), or may hold it when it is <see cref="RedisJobState.Unreachable"/>.</summary>
    public string? Instance { get; init; }
}
