using Gamut.Redis.Tests.Chaos;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>
/// A status says what it was read from — one instance, a Redis Cluster, a Sentinel service or a ring — so
/// <c>gamut status</c> and the dashboard show each as what it is.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class DeploymentTests(SharedRedis redis)
{
    [Fact]
    public async Task The_shared_server_is_labelled_as_one_instance_or_as_a_Cluster_with_its_primaries_and_replicas()
    {
        var options = RedisOptions.FromUrl(redis.Server.Url).WithKeyPrefix("dep" + Guid.NewGuid().ToString("N")[..6]);
        async Task<RedisDeployment?> ReadAsync()
        {
            await using var admin = await RedisAdmin.ConnectAsync(options);
            return (await admin.GetStatusAsync()).Deployment;
        }

        var deployment = await ReadAsync();
        if (RedisServer.ClusterMode)
        {
            // A Cluster just created tells its nodes' roles by gossip: read again (a new client reads CLUSTER NODES
            // anew) until every node's role has reached the node the client asks.
            await Wait.UntilAsync(async () => (deployment = await ReadAsync())?.Description == "Redis Cluster: 3 primaries, 3 replicas",
                "the Cluster's nodes know each other's roles", TestOptions.Guard);
        }

        Assert.NotNull(deployment);
        if (RedisServer.ClusterMode)
        {
            // ./test's Cluster: 3 primaries, 3 replicas (redis-cli --cluster create --cluster-replicas 1).
            Assert.Equal(RedisDeploymentKind.Cluster, deployment.Kind);
            Assert.Equal("Redis Cluster: 3 primaries, 3 replicas", deployment.Description);
            Assert.Equal(6, deployment.Nodes.Count);
        }
        else
        {
            Assert.Equal(RedisDeploymentKind.Instance, deployment.Kind);
            Assert.StartsWith("Redis ", deployment.Description, StringComparison.Ordinal);
            Assert.EndsWith($" at 127.0.0.1:{redis.Server.Port}", deployment.Description, StringComparison.Ordinal);
            Assert.Equal([$"127.0.0.1:{redis.Server.Port}"], deployment.Nodes);
        }

        var status = await Tools.GamutAsync("status", "--redis", redis.Server.Url);
        Assert.Equal(0, status.Code);
        Assert.Contains("redis: " + deployment.Description, status.Out);
    }
}

/// <summary>The deployments that need servers of their own: a Sentinel service and a ring (not in the Cluster pass).</summary>
public sealed class DeploymentOfItsOwnTests
{
    [Fact]
    public async Task A_Sentinel_service_is_labelled_with_its_name_its_primary_and_its_replicas()
    {
        await using var primary = await RedisServer.StartAsync();
        await using var sentinels = await SentinelGroup.StartAsync(primary);
        await using var admin = await RedisAdmin.ConnectAsync(RedisOptions.FromUrl(sentinels.Url));
        var deployment = (await admin.GetStatusAsync()).Deployment;

        Assert.NotNull(deployment);
        Assert.Equal(RedisDeploymentKind.Sentinel, deployment.Kind);
        Assert.Equal($"Sentinel service '{SentinelGroup.Service}': primary 127.0.0.1:{primary.Port}, 2 replicas", deployment.Description);
        Assert.Equal($"127.0.0.1:{primary.Port}", deployment.Nodes[0]);
    }

    [Fact]
    public async Task A_ring_is_labelled_with_its_instances_and_topology_version()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        var add = await Tools.GamutAsync("ring", "add", $"127.0.0.1:{b.Port}", "--redis", a.Url);
        Assert.True(add.Code == 0, add.Err);

        await using var admin = await RedisAdmin.ConnectAsync(RedisOptions.FromUrl($"{a.Url},127.0.0.1:{b.Port}"));
        var status = await admin.GetStatusAsync();

        Assert.NotNull(status.Deployment);
        Assert.Equal(RedisDeploymentKind.Ring, status.Deployment.Kind);
        Assert.Equal($"a ring of 2 instances (2 answering), topology version {status.Ring!.Version}", status.Deployment.Description);
        Assert.Equal(2, status.Deployment.Nodes.Count);
    }
}
