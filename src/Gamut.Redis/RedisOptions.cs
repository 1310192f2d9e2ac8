using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// How to reach Redis and how Gamut keeps its state there: the key prefix, how long results live, the payload
/// limit, heartbeats and start-up checks. Immutable; derive variants with the <c>With…</c> methods or <c>with</c>.
/// <code>
/// var options = RedisOptions.FromUrl("redis://app:secret@10.0.0.5:6379").WithKeyPrefix("billing");
/// </code>
/// </summary>
public sealed record RedisOptions
{
    /// <summary>The default key prefix.</summary>
    public const string DefaultKeyPrefix = "gamut";

    /// <summary>The default limit on a job's payload and result: 16 MiB.</summary>
    public const int DefaultMaxPayloadBytes = 16 * 1024 * 1024;

    /// <summary>The connection settings (endpoints, AUTH user and password, TLS, timeouts).</summary>
    public ConfigurationOptions Configuration { get; init; } = RedisUrl.Parse("redis://127.0.0.1:6379");

    /// <summary>
    /// The instances given, when several were: the members of a ring (any reachable one is enough to start: the
    /// ring's topology is stored in each), or the nodes of a Redis Cluster. Empty: <see cref="Configuration"/> alone.
    /// </summary>
    public IReadOnlyList<ConfigurationOptions> Instances { get; init; } = [];

    /// <summary>How a ring of independent instances is used: timeouts, fail-over, topology checks.</summary>
    public RingOptions Ring { get; init; } = new();

    /// <summary>
    /// The key prefix of this application, so several applications can share one Redis: every key Gamut writes
    /// starts with it. 1 to 64 ASCII letters, digits and <c>. _ - :</c>.
    /// </summary>
    public string KeyPrefix { get; init; } = DefaultKeyPrefix;

    /// <summary>How long a finished job's record (its result, or its cancellation) is kept. Then the key expires.</summary>
    public TimeSpan ResultTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long the record of a failed or dead-lettered job is kept (for inspection and requeue).</summary>
    public TimeSpan FailedTtl { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The most entries a queue's dead-letter list keeps; older ones are dropped and counted.</summary>
    public int DeadLetterMax { get; init; } = 10_000;

    /// <summary>The largest payload (and result) accepted, in bytes. A bigger one is refused at enqueue and dead-lettered by workers.</summary>
    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    /// <summary>How often a worker proves it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a heartbeat lasts: a worker silent for longer is presumed dead and its jobs are reaped.</summary>
    public TimeSpan HeartbeatTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a job may be lost with its worker before it is dead-lettered (a job that kills its worker).</summary>
    public int MaxLostDeliveries { get; init; } = 5;

    /// <summary>Start even when Redis evicts keys under memory pressure (<c>maxmemory-policy</c> other than <c>noeviction</c>); refused by default.</summary>
    public bool AllowEvictingPolicy { get; init; }

    /// <summary>Refuse to start when Redis has no append-only file (jobs would not survive a Redis restart).</summary>
    public bool RequireDurability { get; init; }

    /// <summary>
    /// WAIT mode: how many replicas must have an enqueued job before the enqueue returns (Redis <c>WAIT</c>); 0, the
    /// default, waits for none. An enqueue not acknowledged by that many within <see cref="ReplicaAckTimeout"/> ends
    /// with <see cref="RedisUnavailableException"/> (the job may exist on the primary only: retry with the same id).
    /// Narrows, but does not close, the window in which a fail-over loses acknowledged jobs (docs/reliability.md).
    /// </summary>
    public int ReplicaAcks { get; init; }

    /// <summary>How long an enqueue waits for <see cref="ReplicaAcks"/> replicas.</summary>
    public TimeSpan ReplicaAckTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where Gamut logs warnings (start-up checks, reconnects, reaped workers); nothing when null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Options from a <c>redis://</c> or <c>rediss://</c> URL (see <see cref="RedisUrl"/>), or a comma-separated list
    /// of them: the instances of a ring or the nodes of a Cluster (<see cref="RedisUrl.ParseList"/>).
    /// </summary>
    /// <param name="url">The URL, or the list.</param>
    /// <exception cref="RedisUrlException">A URL is malformed.</exception>
    public static RedisOptions FromUrl(string url)
    {
        var list = RedisUrl.ParseList(url);
        var bad = list.FirstOrDefault(e => e.Error is not null);
        if (bad.Error is not null)
        {
            throw bad.Error;
        }

        return list.Count == 1
            ? new RedisOptions { Configuration = list[0].Options! }
            : new RedisOptions { Configuration = list[0].Options!, Instances = [.. list.Select(e => e.Options!)] };
    }

    /// <summary>The instances to start from: <see cref="Instances"/>, or <see cref="Configuration"/> alone.</summary>
    internal IReadOnlyList<ConfigurationOptions> Seeds => Instances.Count > 0 ? Instances : [Configuration];

    /// <summary>A copy with other ring settings.</summary>
    /// <param name="ring">The settings.</param>
    public RedisOptions WithRing(RingOptions ring) => this with { Ring = ring };

    /// <summary>A copy with another key prefix.</summary>
    /// <param name="prefix">The prefix.</param>
    public RedisOptions WithKeyPrefix(string prefix) => this with { KeyPrefix = prefix };

    /// <summary>A copy that keeps results for <paramref name="ttl"/>.</summary>
    /// <param name="ttl">How long.</param>
    public RedisOptions WithResultTtl(TimeSpan ttl) => this with { ResultTtl = ttl };

    /// <summary>A copy with another payload limit.</summary>
    /// <param name="bytes">The limit in bytes.</param>
    public RedisOptions WithMaxPayloadBytes(int bytes) => this with { MaxPayloadBytes = bytes };

    /// <summary>A copy with other heartbeat timings.</summary>
    /// <param name="interval">How often a worker beats.</param>
    /// <param name="ttl">How long a beat lasts.</param>
    public RedisOptions WithHeartbeat(TimeSpan interval, TimeSpan ttl) => this with { HeartbeatInterval = interval, HeartbeatTtl = ttl };

    /// <summary>A copy that logs to <paramref name="logger"/>.</summary>
    /// <param name="logger">The logger.</param>
    public RedisOptions WithLogger(ILogger? logger) => this with { Logger = logger };

    /// <summary>A copy in WAIT mode: each enqueue returns once <paramref name="replicas"/> replicas have the job.</summary>
    /// <param name="replicas">How many replicas (0: none).</param>
    /// <param name="timeout">How long to wait for them.</param>
    public RedisOptions WithReplicaAcks(int replicas, TimeSpan timeout) => this with { ReplicaAcks = replicas, ReplicaAckTimeout = timeout };

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Configuration);
        if (!Keys.KeyNames.IsValidPrefix(KeyPrefix))
        {
            throw new ArgumentException($"'{KeyPrefix}' is not a valid key prefix (1 to 64 ASCII letters, digits and . _ - :)", nameof(KeyPrefix));
        }

        if (ResultTtl <= TimeSpan.Zero || FailedTtl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResultTtl), "Record lifetimes must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(DeadLetterMax, 1, nameof(DeadLetterMax));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPayloadBytes, 1, nameof(MaxPayloadBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLostDeliveries, 0, nameof(MaxLostDeliveries));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReplicaAcks, 0, nameof(ReplicaAcks));
        if (ReplicaAckTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReplicaAckTimeout), ReplicaAckTimeout, "Must be positive.");
        }
        ArgumentNullException.ThrowIfNull(Ring);
        Ring.Validate();
        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatTtl < HeartbeatInterval * 2)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatTtl), HeartbeatTtl, "The heartbeat TTL must be at least twice the interval, and the interval positive.");
        }
    }
}
