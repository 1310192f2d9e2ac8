using System.Diagnostics;

namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>
/// A Redis Cluster on loopback: six servers (three primaries, three replicas) joined with
/// <c>redis-cli --cluster create … --cluster-replicas 1 --cluster-yes</c>. The returned server is the first node,
/// the cluster's entry point: its URL reaches the whole cluster (the client discovers the slots), its redis-cli
/// follows redirects; disposing it stops every node.
/// </summary>
public sealed partial class RedisServer
{
    private readonly List<RedisServer> _clusterNodes = [];

    /// <summary>Whether this server is the entry node of a cluster (see <see cref="StartClusterAsync"/>).</summary>
    public bool IsCluster { get; private set; }

    /// <summary>Every node of the cluster, this one first.</summary>
    public IReadOnlyList<RedisServer> ClusterNodes => [this, .. _clusterNodes];

    /// <summary>Whether the shared fixture hands out a cluster (GAMUT_TEST_CLUSTER=1: the Redis suite's cluster run in ./test).</summary>
    public static bool ClusterMode => Environment.GetEnvironmentVariable("GAMUT_TEST_CLUSTER") == "1";

    public static async Task<RedisServer> StartClusterAsync()
    {
        string[] args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000"];
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                nodes.Add(await StartAsync(args));
            }

            await Tools.CreateClusterAsync(nodes);

            foreach (var n in nodes)
            {
                await Wait.UntilAsync(async () => (await n.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal), $"node {n.Port} sees the cluster ok", TestOptions.Guard);
            }

            // The entry point must be a primary, so plain redis-cli calls land where keys can be written.
            RedisServer? entry = null;
            foreach (var n in nodes)
            {
                if ((await n.CliAsync("ROLE")).StartsWith("master", StringComparison.Ordinal))
                {
                    entry = n;
                    break;
                }
            }

            if (entry is null)
            {
                throw new InvalidOperationException("the cluster has no primary");
            }

            entry.IsCluster = true;
            entry._clusterNodes.AddRange(nodes.Where(n => n != entry));
            return entry;
        }
        catch
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }

            throw;
        }
    }
}
