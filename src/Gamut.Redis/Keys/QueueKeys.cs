using StackExchange.Redis;

namespace Gamut.Redis.Keys;

/// <summary>
/// The keys of one queue. Every key of a queue and of its jobs carries the hash tag <c>{queue}</c>, so each
/// script touches one Redis Cluster slot: <c>prefix:{queue}:…</c>. docs/redis-protocol.md lists them.
/// </summary>
internal sealed class QueueKeys
{
    public QueueKeys(string prefix, string queue)
    {
        Prefix = prefix;
        Queue = queue;
        var tag = $"{prefix}:{{{queue}}}:";
        Tag = tag;
        Ready = tag + "queue";
        Delayed = tag + "delayed";
        Stats = tag + "stats";
        Dead = tag + "dead";
        Workers = tag + "workers";
        Duplicates = tag + "dups";
        RawCounts = tag + "raw";
        JobPrefix = tag + "job:";
        ActivePrefix = tag + "active:";
        HeartbeatPrefix = tag + "hb:";
        CancelsPrefix = tag + "cancels:";
        Paused = tag + "paused";
        Workflows = tag + "wfs";
        WorkflowPrefix = tag + "wf:";
        RateLimit = tag + "rate";
        RateLog = tag + "rate:log";
        Concurrency = tag + "ck";
        WakeChannel = RedisChannel.Literal($"{prefix}:wake:{queue}");
    }

    public string Prefix { get; }

    public string Queue { get; }

    /// <summary><c>prefix:{queue}:</c>, the start of every key of this queue.</summary>
    public string Tag { get; }

    /// <summary>STRING that exists while the queue is paused (workers take nothing from it).</summary>
    public RedisKey Paused { get; }

    /// <summary>LIST of ready job ids (pushed at the left, taken from the right).</summary>
    public RedisKey Ready { get; }

    /// <summary>ZSET of delayed job ids, scored by the Unix ms at which they become ready.</summary>
    public RedisKey Delayed { get; }

    /// <summary>HASH of counters.</summary>
    public RedisKey Stats { get; }

    /// <summary>LIST of dead-letter entries (JSON), newest first, capped.</summary>
    public RedisKey Dead { get; }

    /// <summary>SET of the ids of workers that serve this queue.</summary>
    public RedisKey Workers { get; }

    /// <summary>LIST of recent rejected (duplicate) completions, newest first, capped.</summary>
    public RedisKey Duplicates { get; }

    /// <summary>HASH of raw-entry SHA1 → times its worker died while reading it.</summary>
    public RedisKey RawCounts { get; }

    public string JobPrefix { get; }

    public string ActivePrefix { get; }

    public string HeartbeatPrefix { get; }

    public string CancelsPrefix { get; }

    /// <summary>Published to when the ready list goes from empty to non-empty.</summary>
    public RedisChannel WakeChannel { get; }

    /// <summary>The ids of the queue's running workflows (a SET).</summary>
    public RedisKey Workflows { get; }

    /// <summary>The prefix of workflow hashes, <c>P:{Q}:wf:</c>.</summary>
    public string WorkflowPrefix { get; }

    /// <summary>HASH of the queue's rate limit: <c>n</c> jobs per <c>ms</c> milliseconds (absent: no limit).</summary>
    public RedisKey RateLimit { get; }

    /// <summary>ZSET of the starts within the rate limit's last period, scored by the Redis ms of each take.</summary>
    public RedisKey RateLog { get; }

    /// <summary>HASH of per-key concurrency: <c>max</c> (the limit; absent: none) and <c>k:KEY</c> = running deliveries of KEY.</summary>
    public RedisKey Concurrency { get; }

    public RedisKey Workflow(string id) => WorkflowPrefix + id;

    public RedisKey Job(string id) => JobPrefix + id;

    public RedisKey Active(string worker) => ActivePrefix + worker;

    public RedisKey Heartbeat(string worker) => HeartbeatPrefix + worker;

    public RedisKey Cancels(string worker) => CancelsPrefix + worker;
}
