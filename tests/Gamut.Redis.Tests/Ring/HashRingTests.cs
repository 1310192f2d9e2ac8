using Gamut.Jobs;
using Gamut.Redis.Ring;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ring;

/// <summary>The ring's two promises, measured on job ids: an even spread, and little movement when the membership changes.</summary>
public sealed class HashRingTests(ITestOutputHelper output)
{
    private const int Keys = 60_000;

    private static readonly string[] Ids = [.. Enumerable.Range(0, Keys).Select(_ => JobIds.New())];

    // Several sets of three members, so a pass is not the luck of one set of names.
    public static TheoryData<string[]> ThreeMembers => new()
    {
        { ["127.0.0.1:6379", "127.0.0.1:6380", "127.0.0.1:6381"] },
        { ["10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"] },
        { ["redis-a.internal:6379", "redis-b.internal:6379", "redis-c.internal:6379"] },
        { ["127.0.0.1:40411", "127.0.0.1:33867", "127.0.0.1:51002"] },
        { ["[::1]:7000", "[::1]:7001", "[::1]:7002"] },
    };

    [Theory]
    [MemberData(nameof(ThreeMembers))]
    public void Job_ids_spread_over_three_members_within_ten_percent_of_an_even_share(string[] members)
    {
        var ring = RingTopology.Create(members).Ring;
        var counts = Ids.GroupBy(ring.Owner).ToDictionary(g => g.Key, g => g.Count());
        var shares = ring.Shares();
        foreach (var m in ring.Members)
        {
            var got = counts.GetValueOrDefault(m);
            var deviation = (got * 3.0 / Keys) - 1;
            output.WriteLine($"{m}: {got} of {Keys} jobs ({deviation:+0.0%;-0.0%}); hash space {shares[m]:P2}");
            Assert.InRange(deviation, -0.10, 0.10);
        }

        Assert.Equal(1.0, shares.Values.Sum(), 6);
    }

    [Theory]
    [MemberData(nameof(ThreeMembers))]
    public void Adding_a_fourth_member_moves_about_a_quarter_of_the_jobs_and_only_to_it(string[] members)
    {
        var before = RingTopology.Create(members);
        var after = before.WithMember("127.0.0.1:7777");
        var moved = Ids.Where(id => before.Ring.Owner(id) != after.Ring.Owner(id)).ToList();
        var fraction = (double)moved.Count / Keys;
        output.WriteLine($"add: {moved.Count} of {Keys} jobs moved ({fraction:P2}; ideal 1/4)");
        Assert.All(moved, id => Assert.Equal("127.0.0.1:7777", after.Ring.Owner(id)));
        Assert.InRange(fraction, 0.25 * 0.8, 0.25 * 1.2);
    }

    [Theory]
    [MemberData(nameof(ThreeMembers))]
    public void Removing_a_member_moves_only_its_own_jobs_about_a_third(string[] members)
    {
        var before = RingTopology.Create(members);
        var gone = before.Members[1];
        var after = before.WithoutMember(gone);
        var moved = Ids.Where(id => before.Ring.Owner(id) != after.Ring.Owner(id)).ToList();
        var fraction = (double)moved.Count / Keys;
        output.WriteLine($"remove {gone}: {moved.Count} of {Keys} jobs moved ({fraction:P2}; ideal 1/3)");
        Assert.All(moved, id => Assert.Equal(gone, before.Ring.Owner(id)));
        Assert.Equal(Ids.Count(id => before.Ring.Owner(id) == gone), moved.Count);
        Assert.InRange(fraction, (1 / 3.0) * 0.8, (1 / 3.0) * 1.2);
    }

    [Fact]
    public void Successors_list_every_member_once_owner_first_and_fall_back_to_the_owner_of_the_ring_without_it()
    {
        var topology = RingTopology.Create(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"]);
        foreach (var id in Ids.Take(2000))
        {
            var order = topology.Ring.Successors(id).ToList();
            Assert.Equal(4, order.Distinct().Count());
            Assert.Equal(topology.Ring.Owner(id), order[0]);

            // Fail-over goes where the job would belong if its owner left: no extra movement when it does leave.
            var without = topology.WithoutMember(order[0], drain: false);
            Assert.Equal(without.Ring.Owner(id), order[1]);
        }
    }

    [Fact]
    public void Every_process_builds_the_same_ring_whatever_the_order_of_the_members()
    {
        var a = new HashRing(["127.0.0.1:3", "127.0.0.1:1", "127.0.0.1:2"], 64);
        var b = new HashRing(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], 64);
        Assert.All(Ids.Take(5000), id => Assert.Equal(a.Owner(id), b.Owner(id)));

        // The documented function: XXH3-64 of the UTF-8 text, so other languages can route the same way.
        Assert.Equal(System.IO.Hashing.XxHash3.HashToUInt64("127.0.0.1:1#0"u8), HashRing.Hash("127.0.0.1:1#0"));
    }

    [Fact]
    public void A_topology_round_trips_through_its_json_and_each_change_bumps_the_version()
    {
        var t = RingTopology.Create(["redis://127.0.0.1:7001", "127.0.0.1:7000", "LOCALHOST:7002"]);
        Assert.Equal(["127.0.0.1:7000", "127.0.0.1:7001", "localhost:7002"], t.Members);
        Assert.Equal(1, t.Version);
        var parsed = RingTopology.Parse(t.ToJson());
        Assert.True(parsed.SameAs(t));

        var drained = t.WithoutMember("127.0.0.1:7001");
        Assert.Equal(2, drained.Version);
        Assert.Equal(["127.0.0.1:7001"], drained.Draining);
        Assert.True(drained.Supersedes(t));
        Assert.False(t.Supersedes(drained));
        var back = drained.WithMember("127.0.0.1:7001");
        Assert.Empty(back.Draining);
        Assert.Equal(3, back.Version);

        // Two operators changing version 1 at once make two version-2 topologies; both sides pick the same winner.
        var other = t.WithMember("127.0.0.1:7003");
        Assert.Equal(drained.Version, other.Version);
        Assert.NotEqual(drained.Supersedes(other), other.Supersedes(drained));
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1:6379")]
    [InlineData("host name:6379")]
    public void A_malformed_member_is_refused_with_a_clear_error(string member)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => RingTopology.Create([member]));
        Assert.Contains(member.Length == 0 ? "host" : member, e.Message);
    }

    [Fact]
    public void The_last_member_cannot_be_removed_and_a_member_cannot_be_listed_twice()
    {
        var one = RingTopology.Create(["127.0.0.1:1"]);
        Assert.Throws<ArgumentException>(() => one.WithoutMember("127.0.0.1:1"));
        Assert.Throws<ArgumentException>(() => one.WithMember("127.0.0.1:1"));
        Assert.Throws<ArgumentException>(() => RingTopology.Create(["127.0.0.1:1", "redis://127.0.0.1:1"]));
        Assert.Throws<FormatException>(() => RingTopology.Parse("{\"v\":0,\"vnodes\":8,\"members\":[\"a:1\"]}"));
        Assert.Throws<FormatException>(() => RingTopology.Parse("not json"));
    }
}
