using StackExchange.Redis;

namespace Gamut.Redis.Keys;

/// <summary>The keys and channels of an application that belong to no queue (never touched by a script).</summary>
internal sealed class GlobalKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>
    /// STRING: the layout version of every key under the prefix (docs/redis-protocol.md, Versioning). Written when
    /// missing and checked by every client and worker at start.
    /// </summary>
    public RedisKey Layout { get; } = prefix + ":layout";

    /// <summary>SET of queue names that have seen a job or a worker.</summary>
    public RedisKey Queues { get; } = prefix + ":queues";

    /// <summary>ZSET of worker ids scored by their last heartbeat (Unix ms).</summary>
    public RedisKey Workers { get; } = prefix + ":workers";

    /// <summary>HASH describing a worker (host, pid, queues, concurrency, start), expiring with its heartbeat.</summary>
    public RedisKey WorkerInfo(string worker) => $"{Prefix}:worker:{worker}";

    /// <summary>The channel a client gets its jobs' completions and progress on.</summary>
    public string ReplyChannel(string clientId) => $"{Prefix}:reply:{clientId}";

    /// <summary>The prefix of a worker's control channel (cancel requests).</summary>
    public string ControlPrefix => Prefix + ":ctl:";

    public RedisChannel Control(string worker) => RedisChannel.Literal(ControlPrefix + worker);
}
