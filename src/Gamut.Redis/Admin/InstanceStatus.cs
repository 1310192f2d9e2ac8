namespace Gamut.Redis;

/// <summary>One instance of a ring, as <c>gamut status</c> and <c>gamut ring show</c> show it.</summary>
public sealed record InstanceStatus
{
    /// <summary>The instance, <c>host:port</c>.</summary>
    public required string Instance { get; init; }

    /// <summary><c>member</c> (takes new jobs) or <c>draining</c> (removed; its jobs are still served).</summary>
    public required string State { get; init; }

    /// <summary>Whether it answered.</summary>
    public bool Answers { get; init; }

    /// <summary>The topology version it holds (null when it does not answer, or holds none).</summary>
    public long? Version { get; init; }

    /// <summary>Its share of the hash space (0 for a draining instance).</summary>
    public double Share { get; init; }

    /// <summary>Jobs ready on it (0 when it does not answer).</summary>
    public long Ready { get; init; }

    /// <summary>Jobs delayed on it.</summary>
    public long Delayed { get; init; }

    /// <summary>Jobs held by workers (running, or stuck with a worker whose heartbeat lapsed).</summary>
    public long Running { get; init; }

    /// <summary>
    /// Jobs not finished. For an instance that answers, ready + delayed + running; for one that does not, the jobs
    /// it acknowledged and had not finished when it was last heard of (kept by another member): pending, not lost.
    /// </summary>
    public long Pending { get; init; }

    /// <summary>For an instance that does not answer, its pending jobs per queue.</summary>
    public IReadOnlyDictionary<string, long> PendingByQueue { get; init; } = new Dictionary<string, long>();
}
