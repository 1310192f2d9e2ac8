namespace Gamut.Redis;

/// <summary>Where a job is in its life on Redis.</summary>
public enum RedisJobState
{
    /// <summary>No record: never enqueued, expired after its TTL, or lost by Redis.</summary>
    Missing,

    /// <summary>In its queue's ready list.</summary>
    Queued,

    /// <summary>Waiting for its time (a delayed job, or a retry after a failure).</summary>
    Delayed,

    /// <summary>Taken by a worker.</summary>
    Running,

    /// <summary>Ran to a result.</summary>
    Succeeded,

    /// <summary>Threw (or timed out) on its last allowed attempt; also on the dead-letter list.</summary>
    Failed,

    /// <summary>Dead-lettered without a result (unknown name, bad or oversized payload, workers died too often).</summary>
    Dead,

    /// <summary>Cancelled.</summary>
    Cancelled,

    /// <summary>On a ring: the job is on no instance that answers, and an instance that may hold it does not answer. Pending, not lost.</summary>
    Unreachable,
}

internal static class RedisJobStates
{
    public static RedisJobState Parse(string? s) => s switch
    {
        null => RedisJobState.Missing,
        "queued" => RedisJobState.Queued,
        "delayed" => RedisJobState.Delayed,
        "running" => RedisJobState.Running,
        "succeeded" => RedisJobState.Succeeded,
        "failed" => RedisJobState.Failed,
        "dead" => RedisJobState.Dead,
        "cancelled" => RedisJobState.Cancelled,
        _ => RedisJobState.Missing,
    };

    public static bool IsFinal(string? s) => s is "succeeded" or "failed" or "dead" or "cancelled";
}
