using System.Net;
using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>How the Redis an application uses is deployed.</summary>
public enum RedisDeploymentKind
{
    /// <summary>One Redis instance.</summary>
    Instance,

    /// <summary>A Redis Cluster: it spreads keys over its primaries and fails over by itself.</summary>
    Cluster,

    /// <summary>A Sentinel service: a primary with replicas, failed over by Sentinel.</summary>
    Sentinel,

    /// <summary>A ring of independent instances: Gamut spreads jobs over them by consistent hashing.</summary>
    Ring,
}

/// <summary>What a status was read from, as <c>gamut status</c> and the dashboard label it.</summary>
/// <param name="Kind">One instance, a Cluster, a Sentinel service or a ring.</param>
/// <param name="Description">One line in words, e.g. <c>Redis Cluster: 3 primaries, 3 replicas</c>.</param>
/// <param name="Nodes">The data nodes seen (host:port), primaries first.</param>
public sealed record RedisDeployment(RedisDeploymentKind Kind, string Description, IReadOnlyList<string> Nodes)
{
    /// <summary>Describes the deployment behind one connection (an instance, a Cluster or a Sentinel service).</summary>
    internal static RedisDeployment Of(RedisConnection connection)
    {
        var servers = connection.Multiplexer.GetServers();
        var primaries = servers.Where(s => s.IsConnected && !s.IsReplica).ToList();
        var replicas = servers.Where(s => s.IsReplica).ToList();
        var nodes = primaries.Concat(replicas).Select(s => Format(s.EndPoint)).ToList();
        if (connection.Options.Seeds.FirstOrDefault(s => s.ServiceName is not null)?.ServiceName is { } service)
        {
            var primary = primaries.Count > 0 ? Format(primaries[0].EndPoint) : "not confirmed";
            return new(RedisDeploymentKind.Sentinel, $"Sentinel service '{service}': primary {primary}, {Count(replicas.Count, "replica")}", nodes);
        }

        if (servers.Any(s => s.ServerType == ServerType.Cluster))
        {
            // The cluster's own view (CLUSTER NODES, as the client last read it): the client may hold no connection
            // to a replica it never needs.
            var cluster = servers.Select(s => s.ClusterConfiguration).FirstOrDefault(c => c is not null);
            if (cluster is not null)
            {
                List<string> Nodes(Func<ClusterNode, bool> which) =>
                    [.. cluster.Nodes.Where(which).Select(n => Format(n.EndPoint)).Order(StringComparer.Ordinal)];
                var clusterPrimaries = Nodes(n => !n.IsReplica && n.Slots.Count > 0);
                var clusterReplicas = Nodes(n => n.IsReplica);
                var spare = Nodes(n => !n.IsReplica && n.Slots.Count == 0);
                nodes = [.. clusterPrimaries, .. clusterReplicas, .. spare];
                var text = $"Redis Cluster: {Count(clusterPrimaries.Count, "primary", "primaries")}, {Count(clusterReplicas.Count, "replica")}";
                return new(RedisDeploymentKind.Cluster, spare.Count == 0 ? text : $"{text}, {Count(spare.Count, "node")} without slots", nodes);
            }

            return new(RedisDeploymentKind.Cluster, $"Redis Cluster: {Count(primaries.Count, "primary", "primaries")}", nodes);
        }

        var one = primaries.FirstOrDefault() ?? servers.FirstOrDefault();
        return new(RedisDeploymentKind.Instance, one is null ? "one Redis instance" : $"Redis {one.Version} at {Format(one.EndPoint)}", nodes);
    }

    /// <summary>Describes a ring of instances.</summary>
    internal static RedisDeployment OfRing(IReadOnlyList<string> members, long version, int live) =>
        new(RedisDeploymentKind.Ring, $"a ring of {Count(members.Count, "instance")} ({live} answering), topology version {version}", members);

    private static string Count(int n, string one, string? many = null) => n == 1 ? $"1 {one}" : $"{n} {many ?? one + "s"}";

    private static string Format(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint?.ToString() ?? "?",
    };
}
