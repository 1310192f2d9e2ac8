using Gamut.Redis.Ring;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Ring;

/// <summary>The topology is stored in every instance; a client starts from any one that answers.</summary>
public sealed class RingBootstrapTests
{
    private static RedisOptions Options(string prefix, params RedisServer[] servers) =>
        RedisOptions.FromUrl(string.Join(",", servers.Select(s => s.Url))).WithKeyPrefix(prefix)
            .WithRing(new RingOptions { InstanceTimeout = TimeSpan.FromMilliseconds(500), HealthInterval = TimeSpan.FromMilliseconds(200), CheckInterval = TimeSpan.FromMilliseconds(500) });

    [Fact]
    public async Task A_list_of_instances_forms_a_ring_stored_in_each_and_any_one_of_them_is_enough_to_start_again()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        var members = new[] { a, b, c }.Select(s => $"127.0.0.1:{s.Port}").Order(StringComparer.Ordinal).ToList();
        await using (var first = await RedisExecutor.ConnectAsync(Options("boot", a, b, c)))
        {
            Assert.Equal(members, first.Deployment.Ring!.Topology.Members);
        }

        foreach (var s in new[] { a, b, c })
        {
            Assert.Equal("1", await s.CliAsync("HGET", "boot:ring", "v"));
            Assert.Equal("member", await s.CliAsync("HGET", "boot:ring", "state"));
        }

        // One instance down, and only another one named: the client learns the whole ring from it.
        a.Kill();
        await using var second = await RedisExecutor.ConnectAsync(Options("boot", b));
        var ring = second.Deployment.Ring!;
        Assert.Equal(members, ring.Topology.Members);
        Assert.Equal(1, ring.Topology.Version);
        Assert.Equal(3, second.Deployment.Instances.Count);
        Assert.Equal(2, second.Deployment.Instances.Count(i => i.IsLive));
    }

    [Fact]
    public async Task The_newest_topology_wins_and_an_instance_that_missed_a_change_is_repaired()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        await using var client = await RedisExecutor.ConnectAsync(Options("newest", a, b));
        var ring = client.Deployment.Ring!;
        Assert.Equal(2, ring.Topology.Members.Count);

        // Another process added c, but only a heard of it.
        var added = ring.Topology.WithMember($"127.0.0.1:{c.Port}");
        await using (var direct = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{a.Port}"))
        {
            await RingStore.WriteAsync(direct.GetDatabase(), "newest", $"127.0.0.1:{a.Port}", added, CancellationToken.None);
        }

        await Wait.UntilAsync(() => Task.FromResult(ring.Topology.Version == 2), "the client adopted version 2 at its next check", TestOptions.Guard);
        Assert.Equal(3, client.Deployment.Instances.Count);
        await Wait.UntilAsync(async () => await b.CliAsync("HGET", "newest:ring", "v") == "2" && await c.CliAsync("HGET", "newest:ring", "v") == "2",
            "b and c were repaired to version 2", TestOptions.Guard);

        // An older version written late is refused by every instance.
        await using var late = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{b.Port}");
        var newer = await RingStore.WriteAsync(late.GetDatabase(), "newest", $"127.0.0.1:{b.Port}", RingTopology.Create([$"127.0.0.1:{b.Port}"]), CancellationToken.None);
        Assert.NotNull(newer);
        Assert.Equal(2, newer.Version);
    }

    [Fact]
    public async Task Locks_and_queues_refuse_a_ring_instead_of_using_one_of_its_members_silently()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => Gamut.Redis.Coordination.RedisCoordination.ConnectAsync(Options("coord", a, b)));
        Assert.Contains("not a ring", e.Message);
    }

    [Fact]
    public async Task No_instance_answering_is_a_typed_error_that_names_them()
    {
        var port1 = RedisServer.FreePort();
        var port2 = RedisServer.FreePort();
        var options = RedisOptions.FromUrl($"redis://127.0.0.1:{port1},127.0.0.1:{port2}")
            .WithRing(new RingOptions { InstanceTimeout = TimeSpan.FromMilliseconds(300) });
        var e = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(options).WaitAsync(TestOptions.Guard));
        Assert.Equal(RedisStartupProblem.Unreachable, e.Problem);
        Assert.Contains($"127.0.0.1:{port1}", e.Message);
        Assert.Contains($"127.0.0.1:{port2}", e.Message);
    }
}
