using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Coordination;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Cluster;

/// <summary>
/// Gamut on a Redis Cluster built on loopback (3 primaries, 3 replicas): the client's own Cluster support routes each
/// key to its slot, and every key a script touches carries its queue's (or primitive's) hash tag, so each script
/// touches one slot. (The whole shared-fixture suite also runs against a cluster: GAMUT_TEST_CLUSTER=1, in ./test.)
/// </summary>
public sealed class ClusterTests
{
    [Fact]
    public async Task Jobs_run_on_a_cluster_and_every_key_of_a_queue_and_its_jobs_is_in_one_slot()
    {
        await using var cluster = await RedisServer.StartClusterAsync();

        // Any list of the cluster's nodes is the cluster (not a ring): the client finds the rest.
        var options = RedisOptions.FromUrl(string.Join(",", cluster.ClusterNodes.Take(2).Select(n => n.Url))).WithKeyPrefix("cl")
            .WithHeartbeat(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(1000));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["alpha", "beta", "gamma"] });
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.Null(client.Deployment.Ring);
        Assert.Contains(client.Deployment.Instances[0].Multiplexer.GetServers(), s => s.ServerType == ServerType.Cluster);

        // Every kind of state change: plain, batched, failed and retried, delayed, cancelled, on three queues.
        var square = JobRef.To<SquareJob, int, int>();
        foreach (var queue in new[] { "alpha", "beta", "gamma" })
        {
            Assert.Equal(49, await client.SubmitAsync(square, 7, new JobOptions { Queue = queue }).WaitAsync(TestOptions.Guard));
            var many = await client.EnqueueManyAsync(square, Enumerable.Range(0, 50), new JobOptions { Queue = queue });
            Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), await Task.WhenAll(many.Select(h => client.WaitAsync<int>(h))).WaitAsync(TestOptions.Guard));
            var retry = RetryPolicy.Attempts(2) with { InitialDelay = TimeSpan.FromMilliseconds(10) };
            Assert.Equal(2, await client.SubmitAsync(JobRef.To<FlakyJob, int, int>(), 2, new JobOptions { Queue = queue, Retry = retry }).WaitAsync(TestOptions.Guard));
            await Assert.ThrowsAsync<JobFailedException>(() => client.SubmitAsync(JobRef.To<FailJob, string, int>(), "no", new JobOptions { Queue = queue }).WaitAsync(TestOptions.Guard));
            var later = await client.EnqueueAsync(square, 3, new JobOptions { Queue = queue, Delay = TimeSpan.FromHours(1) });
            Assert.Equal(CancelOutcome.Cancelled, await client.CancelAsync(later));
        }

        // A lock and a queue of the coordination primitives, too.
        await using (var coordination = await RedisCoordination.ConnectAsync(options))
        {
            await using (var lease = await coordination.Lock("report").TryAcquireAsync(TimeSpan.FromSeconds(5)))
            {
                Assert.NotNull(lease);
            }

            var items = coordination.Queue<int>("items");
            await items.EnqueueAsync(5);
            Assert.Equal(5, await items.DequeueAsync());
        }

        // Read back every key under the prefix from every primary: the keys of one tag share one slot.
        var keys = new List<string>();
        foreach (var node in cluster.ClusterNodes)
        {
            if ((await node.CliAsync("ROLE")).StartsWith("master", StringComparison.Ordinal))
            {
                keys.AddRange((await node.CliAsync("--scan", "--pattern", "cl:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        var tagged = keys.Where(k => k.Contains('{')).ToList();
        Assert.Contains(tagged, k => k.Contains(":job:", StringComparison.Ordinal));
        Assert.Contains(tagged, k => k.EndsWith(":dead", StringComparison.Ordinal));
        var slots = new Dictionary<string, HashSet<string>>();
        foreach (var key in tagged)
        {
            var tag = key[key.IndexOf('{')..(key.IndexOf('}') + 1)];
            var slot = await cluster.CliAsync("CLUSTER", "KEYSLOT", key);
            (slots.TryGetValue(tag, out var set) ? set : slots[tag] = []).Add(slot);
        }

        Assert.Contains("{alpha}", slots.Keys);
        Assert.Contains("{lock.report}", slots.Keys);
        Assert.All(slots, s => Assert.Single(s.Value));

        // The three queues are spread over different slots (the cluster can put them on different primaries).
        Assert.Equal(3, new[] { "{alpha}", "{beta}", "{gamma}" }.Select(t => slots[t].Single()).Distinct().Count());
    }

    [Fact]
    public async Task The_shared_fixture_hands_out_what_the_run_asks_for()
    {
        var fixture = new SharedRedis();
        await fixture.InitializeAsync();
        try
        {
            Assert.Equal(RedisServer.ClusterMode, fixture.Server.IsCluster);
            Assert.Equal(RedisServer.ClusterMode ? "cluster_enabled:1" : "cluster_enabled:0",
                (await fixture.Server.CliAsync("INFO", "cluster")).Split('\n').Single(l => l.StartsWith("cluster_enabled", StringComparison.Ordinal)).Trim());
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }
}
