using Gamut.Redis.Keys;
using Gamut.Redis.Ring;
using Microsoft.Extensions.Logging;

namespace Gamut.Redis.Connection;

/// <summary>
/// Where an application's jobs live: one Redis (a lone instance, a Sentinel-managed primary, or a Redis Cluster,
/// each through one multiplexer), or a ring of independent instances (<see cref="RedisRing"/>).
/// </summary>
internal interface IRedisDeployment : IAsyncDisposable
{
    RedisOptions Options { get; }

    GlobalKeys Global { get; }

    ILogger Logger { get; }

    /// <summary>The ring, or null for one Redis.</summary>
    RedisRing? Ring { get; }

    /// <summary>Every instance that holds jobs now: a ring's members and draining instances, or the one connection.</summary>
    IReadOnlyList<RedisConnection> Instances { get; }

    /// <summary>Where a new job with this id goes, in fail-over order: a ring's live members from its owner on; or the one connection.</summary>
    IReadOnlyList<RedisConnection> CandidatesFor(string jobId);

    /// <summary>Where to look for a job's record, the likeliest first: its owner, then every other instance that holds jobs.</summary>
    IReadOnlyList<RedisConnection> SearchOrder(string jobId);

    /// <summary>Raised when an instance starts holding jobs (a ring member added or first reached), so subscriptions follow it.</summary>
    event Action<RedisConnection>? InstanceAdded;
}

/// <summary>One Redis through one multiplexer: a lone instance, a Sentinel-managed primary, or a Cluster.</summary>
internal sealed class SingleDeployment(RedisConnection connection) : IRedisDeployment
{
    private readonly RedisConnection[] _one = [connection];

    public RedisConnection Connection { get; } = connection;

    public RedisOptions Options => Connection.Options;

    public GlobalKeys Global => Connection.Global;

    public ILogger Logger => Connection.Logger;

    public RedisRing? Ring => null;

    public IReadOnlyList<RedisConnection> Instances => _one;

    public event Action<RedisConnection>? InstanceAdded
    {
        add { }
        remove { }
    }

    public IReadOnlyList<RedisConnection> CandidatesFor(string jobId) => _one;

    public IReadOnlyList<RedisConnection> SearchOrder(string jobId) => _one;

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
