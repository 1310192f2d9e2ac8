namespace Gamut.Redis;

/// <summary>A snapshot of an application's queues and workers, as <c>gamut status</c> shows it.</summary>
/// <param name="Queues">Every known queue.</param>
/// <param name="Workers">Every worker seen recently, alive or not.</param>
public sealed record RedisStatus(IReadOnlyList<QueueStatus> Queues, IReadOnlyList<WorkerStatus> Workers)
{
    /// <summary>On a ring, each instance's own depths (or, for one that does not answer, its pending jobs); empty for one Redis.</summary>
    public IReadOnlyList<InstanceStatus> Instances { get; init; } = [];

    /// <summary>On a ring, the topology in use; null for one Redis.</summary>
    public Ring.RingTopology? Ring { get; init; }

    /// <summary>What this status was read from: one instance, a Redis Cluster, a Sentinel service or a ring.</summary>
    public RedisDeployment? Deployment { get; init; }

    /// <summary>
    /// Keys that hold another type than Gamut keeps there (another client or an older version wrote them): what they
    /// would have told is left out of the counts above (read as empty), and the rest is read as usual.
    /// </summary>
    public IReadOnlyList<BrokenKey> BrokenKeys { get; init; } = [];
}

/// <summary>A key that holds another Redis type than Gamut keeps there.</summary>
/// <param name="Key">The key.</param>
/// <param name="ActualType">The type it holds (<c>string</c>, <c>list</c>...).</param>
/// <param name="ExpectedType">The type Gamut keeps there.</param>
public sealed record BrokenKey(string Key, string ActualType, string ExpectedType);

/// <summary>One queue's depths and counters.</summary>
public sealed record QueueStatus
{
    /// <summary>The queue's name.</summary>
    public required string Name { get; init; }

    /// <summary>Jobs ready to run.</summary>
    public long Ready { get; init; }

    /// <summary>Jobs waiting for their time (delayed, or a retry after a failure).</summary>
    public long Delayed { get; init; }

    /// <summary>Jobs held by live workers (their heartbeat is current).</summary>
    public long Running { get; init; }

    /// <summary>
    /// Jobs in the in-flight lists of workers whose heartbeat has lapsed: not lost (the reaper returns them to the
    /// queue within a few beats), but a count that stays means nobody is reaping them.
    /// </summary>
    public long Stuck { get; init; }

    /// <summary>Jobs not finished: ready, delayed, running and stuck.</summary>
    public long Pending { get; init; }

    /// <summary>Entries on the dead-letter list now.</summary>
    public long DeadLetters { get; init; }

    /// <summary>Jobs enqueued, ever.</summary>
    public long Enqueued { get; init; }

    /// <summary>Jobs that ran to a result.</summary>
    public long Succeeded { get; init; }

    /// <summary>Jobs that failed on their last attempt.</summary>
    public long Failed { get; init; }

    /// <summary>Entries ever put on the dead-letter list (failed jobs included).</summary>
    public long DeadLettered { get; init; }

    /// <summary>Dead-letter entries dropped because the list was full.</summary>
    public long DeadTrimmed { get; init; }

    /// <summary>Outcomes rejected because the job had passed to another worker or already ended: duplicate runs.</summary>
    public long Duplicates { get; init; }

    /// <summary>Failed attempts put back for another try.</summary>
    public long Retried { get; init; }

    /// <summary>Jobs returned to the queue from dead workers.</summary>
    public long Reaped { get; init; }

    /// <summary>Jobs cancelled.</summary>
    public long Cancelled { get; init; }

    /// <summary>Workflows of this queue that are running (docs/redis-protocol.md section 11).</summary>
    public long Workflows { get; init; }

    /// <summary>Whether the queue is paused: its workers take nothing from it.</summary>
    public bool Paused { get; init; }

    /// <summary>On a ring, jobs of this queue on instances that do not answer: pending, not lost (counted in <see cref="Pending"/>).</summary>
    public long Unreachable { get; init; }

    /// <summary>
    /// On a ring, jobs of this queue that had not ended on an instance when it was removed at once (<c>gamut ring
    /// remove --now</c>): no worker serves them (not counted in <see cref="Pending"/>).
    /// </summary>
    public long Lost { get; init; }
}

/// <summary>One worker as it last described itself.</summary>
public sealed record WorkerStatus
{
    /// <summary>The worker's id.</summary>
    public required string Id { get; init; }

    /// <summary>Whether its heartbeat is current.</summary>
    public bool Alive { get; init; }

    /// <summary>When it last beat.</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>Its self-description (host, pid, queues, concurrency, isolation), as JSON.</summary>
    public string? Info { get; init; }

    /// <summary>The jobs in its in-flight lists.</summary>
    public IReadOnlyList<JobHandle> CurrentJobs { get; init; } = [];
}
