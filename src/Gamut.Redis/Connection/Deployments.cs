using Gamut.Redis.Ring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>Connects to what <see cref="RedisOptions"/> names: one Redis, a Sentinel-managed primary, a Cluster, or a ring.</summary>
internal static class Deployments
{
    /// <summary>
    /// One instance: used as it is, unless it holds a ring's topology (then the whole ring is used). A Sentinel
    /// service (<c>sentinel=</c>): its primary, followed through fail-overs. Several instances: a Redis Cluster if
    /// they are its nodes, else the members of a ring (any reachable one is enough).
    /// </summary>
    /// <exception cref="RedisStartupException">Nothing reachable, refused credentials or TLS, or an unsafe configuration.</exception>
    public static async Task<IRedisDeployment> ConnectAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var seeds = options.Seeds;
        if (seeds.Any(s => s.ServiceName is not null))
        {
            return new SingleDeployment(await RedisConnection.ConnectAsync(options, Merge(seeds), null, cancellationToken).ConfigureAwait(false));
        }

        if (seeds.Count == 1)
        {
            var connection = await RedisConnection.ConnectAsync(options, seeds[0], null, cancellationToken).ConfigureAwait(false);
            try
            {
                if (!IsCluster(connection) && await connection.Database.KeyExistsAsync(RingStore.Key(options.KeyPrefix)).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    // A member of a ring: start from it, and use the whole ring.
                    await connection.DisposeAsync().ConfigureAwait(false);
                    var member = RingMember.Of(seeds[0].EndPoints[0]);
                    return await ConnectRingAsync(options, [(member, seeds[0])], cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return new SingleDeployment(connection);
        }

        var named = seeds.Select(s => (Member: RingMember.Of(s.EndPoints[0]), Config: s)).DistinctBy(s => s.Member, StringComparer.Ordinal).ToList();
        return await ConnectRingAsync(options, named, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IRedisDeployment> ConnectRingAsync(RedisOptions options, List<(string Member, ConfigurationOptions Config)> seeds, CancellationToken cancellationToken)
    {
        var opened = await RedisRing.OpenSeedsAsync(options, seeds, cancellationToken).ConfigureAwait(false);
        if (opened.Any(c => c.IsLive && IsCluster(c)))
        {
            // The instances are a Redis Cluster's nodes: one multiplexer routes each key to its slot.
            foreach (var c in opened)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }

            (options.Logger ?? NullLogger.Instance).LogDebug("The instances given are a Redis Cluster");
            return new SingleDeployment(await RedisConnection.ConnectAsync(options, Merge(seeds.Select(s => s.Config).ToList()), null, cancellationToken).ConfigureAwait(false));
        }

        return await RedisRing.ConnectAsync(options, seeds, opened, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsCluster(RedisConnection c) => c.Multiplexer.GetServers().Any(s => s.IsConnected && s.ServerType == ServerType.Cluster);

    /// <summary>One configuration with every endpoint (a Cluster's seed nodes, or a Sentinel service's sentinels).</summary>
    private static ConfigurationOptions Merge(IReadOnlyList<ConfigurationOptions> seeds)
    {
        var merged = seeds[0].Clone();
        foreach (var endpoint in seeds.Skip(1).SelectMany(s => s.EndPoints))
        {
            if (!merged.EndPoints.Contains(endpoint))
            {
                merged.EndPoints.Add(endpoint);
            }
        }

        return merged;
    }
}
