using System.Text;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Client.Engine;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ring;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Parts;

/// <summary>The executor's router on its own over a ring of three real instances, one of them down.</summary>
public sealed class RouterOnRingTests
{
    [Fact]
    public async Task Jobs_owned_by_a_member_that_is_down_go_to_the_next_live_one_and_are_counted_as_rerouted_the_others_stay_home()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        var options = RingExecutorTests.Options("router", a, b, c);
        await using var deployment = await Deployments.ConnectAsync(options, CancellationToken.None);
        var ring = deployment.Ring!;
        var router = new JobRouter(deployment, new RetryingScripts(), new KnownQueues());
        var down = RingScenario.Member(a);

        a.Kill();
        await Wait.UntilAsync(() => Task.FromResult(!deployment.Instances.Single(i => i.Member == down).IsLive), "the deployment saw a go down", TestOptions.Guard);
        var ids = Enumerable.Range(0, 60).Select(_ => JobIds.New()).ToList();
        var keys = new Keys.QueueKeys(options.KeyPrefix, "default");
        var jobs = ids.Select(id =>
        {
            var args = new List<RedisValue>();
            EnqueueArgs.Add(args, id, "parts.job", Encoding.UTF8.GetBytes("1"), JobOptions.Default, null);
            return new JobArgs(id, [.. args]);
        }).ToList();
        var sent = await router.SendAndIndexAsync(keys, jobs, CancellationToken.None);

        var owned = ids.Where(id => ring.Topology.Ring.Owner(id) == down).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(owned);
        Assert.Equal(ids.Order(StringComparer.Ordinal), sent.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.All(sent, r => Assert.Equal("created", r.State));
        Assert.All(sent, r => Assert.NotEqual(down, r.Where.Member));
        Assert.All(sent.Where(r => !owned.Contains(r.Id)), r => Assert.Equal(ring.Topology.Ring.Owner(r.Id), r.Where.Member));
        Assert.Equal(owned.Count, router.Rerouted);

        // Each job's record is on the instance the router named, and that instance's pending index has it.
        foreach (var r in sent)
        {
            Assert.True(await r.Where.Database.KeyExistsAsync(r.Where.Queue("default").Job(r.Id)), $"job {r.Id} is not on {r.Where.Member}");
        }

        foreach (var member in new[] { b, c }.Select(RingScenario.Member))
        {
            var here = sent.Where(r => r.Where.Member == member).Select(r => Gamut.Redis.Ring.PendingIndex.Entry("default", r.Id));
            Assert.Equal(here.Order(StringComparer.Ordinal), (await ring.Pending.ReadAsync(member, CancellationToken.None)).Order(StringComparer.Ordinal));
        }
    }
}
