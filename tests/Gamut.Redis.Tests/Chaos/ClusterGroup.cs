using System.Diagnostics;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// A Redis Cluster of six nodes on loopback made by <c>redis-cli --cluster create … --cluster-replicas 1</c>: three
/// primaries, each with a replica, a node failing after 1 s of silence, every replica in sync before it is used (the
/// fixture of the functional tests, RedisServer.StartClusterAsync, is not tuned for fail-over). The group kills every
/// node when disposed.
/// </summary>
public sealed class ClusterGroup : IAsyncDisposable
{
    private ClusterGroup()
    {
    }

    public List<RedisServer> Nodes { get; } = [];

    /// <summary>Every node, as Gamut takes a Cluster: <c>redis://n1?timeout=2000,n2,…</c>.</summary>
    public string Url => $"redis://127.0.0.1:{Nodes[0].Port}?timeout=2000,{string.Join(",", Nodes.Skip(1).Select(n => $"127.0.0.1:{n.Port}"))}";

    public static async Task<ClusterGroup> StartAsync()
    {
        var group = new ClusterGroup();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                group.Nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000"));
            }

            await Tools.CreateClusterAsync(group.Nodes);

            await Wait.UntilAsync(async () =>
            {
                foreach (var n in group.Nodes)
                {
                    if (!(await n.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return (await group.Nodes[0].CliAsync("CLUSTER", "NODES")).Split('\n').Count(l => l.Contains("slave", StringComparison.Ordinal)) == 3;
            }, "the cluster is up with three replicas", TestOptions.Guard);

            // A replica that never finished its first sync may not fail over (cluster-replica-validity-factor).
            await Wait.UntilAsync(async () =>
            {
                var synced = 0;
                foreach (var n in group.Nodes)
                {
                    synced += (await n.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal) ? 1 : 0;
                }

                return synced == 3;
            }, "every replica in sync", TestOptions.Guard);
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        return group;
    }

    /// <summary>The primary that serves <paramref name="key"/>'s slot now, as a live node sees it; null while none does.</summary>
    public async Task<RedisServer?> PrimaryForAsync(string key)
    {
        var live = Nodes.First(n => !n.HasExited);
        var slot = int.Parse(await live.CliAsync("CLUSTER", "KEYSLOT", key));
        foreach (var line in (await live.CliAsync("CLUSTER", "NODES")).Split('\n'))
        {
            // id host:port@bus flags master ping pong epoch state slot-ranges…
            var f = line.Split(' ');
            if (f.Length < 9 || !f[2].Contains("master", StringComparison.Ordinal) || f[2].Contains("fail", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in f.Skip(8))
            {
                var ends = range.Split('-');
                if (int.TryParse(ends[0], out var lo) && int.TryParse(ends[^1], out var hi) && slot >= lo && slot <= hi)
                {
                    var port = int.Parse(f[1].Split('@')[0].Split(':')[1]);
                    return Nodes.Single(n => n.Port == port);
                }
            }
        }

        return null;
    }

    /// <summary>Starts a new node and makes it a replica of <paramref name="primary"/> (as an operator replaces a lost one).</summary>
    public async Task AddReplicaAsync(RedisServer primary)
    {
        var node = await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000");
        Nodes.Add(node);
        var id = await primary.CliAsync("CLUSTER", "MYID");
        Assert.Equal("OK", await primary.CliAsync("CLUSTER", "MEET", "127.0.0.1", node.Port.ToString()));
        await Wait.UntilAsync(async () => (await node.CliAsync("CLUSTER", "NODES")).Contains(id, StringComparison.Ordinal), "the new node knows the primary", TestOptions.Guard);
        Assert.Equal("OK", await node.CliAsync("CLUSTER", "REPLICATE", id));
        await Wait.UntilAsync(async () => (await node.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal), "the new replica is in sync", TestOptions.Guard);
    }

    /// <summary>Runs a command on every node still running.</summary>
    public async Task ConfigureAllAsync(params string[] args)
    {
        foreach (var n in Nodes.Where(n => !n.HasExited))
        {
            Assert.Equal("OK", await n.CliAsync(args));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes)
        {
            await n.DisposeAsync();
        }
    }
}
