using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ring;

/// <summary>Clients and workers over a ring of three real instances: spread, fail-over, return.</summary>
public sealed class RingExecutorTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    internal static RedisOptions Options(string prefix, params RedisServer[] servers) =>
        RedisOptions.FromUrl(string.Join(",", servers.Select(s => s.Url))).WithKeyPrefix(prefix)
            .WithHeartbeat(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(1000))
            .WithRing(new RingOptions
            {
                InstanceTimeout = TimeSpan.FromMilliseconds(500),
                HealthInterval = TimeSpan.FromMilliseconds(200),
                CheckInterval = TimeSpan.FromMilliseconds(500),
                IndeterminateWait = TimeSpan.FromSeconds(20),
            });

    internal static async Task<long> EnqueuedAsync(RedisServer server, string prefix, string queue = "default")
    {
        var text = await server.CliAsync("HGET", $"{prefix}:{{{queue}}}:stats", "enqueued");
        return long.TryParse(text, out var n) ? n : 0;
    }

    [Fact]
    public async Task Jobs_are_spread_over_the_members_and_every_result_comes_back()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        var options = Options("spread", a, b, c);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 8 });
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.Equal(3, worker.Instances.Count);

        const int n = 900;
        var results = new List<int>();
        await foreach (var outcome in client.MapAsync(Square, Enumerable.Range(0, n).ToAsyncEnumerable()).WithCancellation(new CancellationTokenSource(TestOptions.Guard).Token))
        {
            results.Add(outcome.Value);
        }

        Assert.Equal(Enumerable.Range(0, n).Select(i => i * i), results);
        var counts = new[] { await EnqueuedAsync(a, "spread"), await EnqueuedAsync(b, "spread"), await EnqueuedAsync(c, "spread") };
        output.WriteLine($"jobs per instance: {string.Join(", ", counts)}");
        Assert.Equal(n, counts.Sum());

        // The exact ±10% spread is shown on 60,000 ids by HashRingTests; here each instance simply takes its share.
        Assert.All(counts, k => Assert.InRange(k, n / 5, n / 2));

        // Every job ended, so no instance is left with pending-index entries.
        await Wait.UntilAsync(async () =>
        {
            var entries = 0L;
            foreach (var s in new[] { a, b, c })
            {
                foreach (var other in new[] { a, b, c })
                {
                    entries += long.Parse(await s.CliAsync("SCARD", $"spread:ring:pending:127.0.0.1:{other.Port}"));
                }
            }

            return entries == 0;
        }, "the pending index emptied", TestOptions.Guard);
    }

    [Fact]
    public async Task While_an_instance_is_down_new_jobs_go_to_the_others_and_its_own_jobs_run_when_it_returns()
    {
        await using var a = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        await using var b = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        await using var c = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        var options = Options("failover", a, b, c);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var before = await client.EnqueueManyAsync(Square, Enumerable.Range(0, 300));
        var onA = await EnqueuedAsync(a, "failover");
        Assert.InRange(onA, 50, 200);

        a.Kill();
        await Wait.UntilAsync(() => Task.FromResult(!client.Deployment.Instances.Single(i => i.Member == $"127.0.0.1:{a.Port}").IsLive), "the client saw a go down", TestOptions.Guard);
        var after = new List<JobHandle>();
        foreach (var i in Enumerable.Range(300, 300))
        {
            after.Add(await client.EnqueueAsync(Square, i));
        }

        Assert.Equal(600 - onA, await EnqueuedAsync(b, "failover") + await EnqueuedAsync(c, "failover"));

        // Workers serve the live members: their jobs complete; a's jobs wait for it, reported as unreachable.
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 8 });
        var all = before.Concat(after).ToList();
        await Wait.UntilAsync(async () => (await Task.WhenAll(all.Select(h => client.GetStatusAsync(h)))).Count(s => s.State == RedisJobState.Succeeded) == 600 - onA,
            "the jobs of the live members completed", TestOptions.Guard);
        var states = await Task.WhenAll(all.Select(h => client.GetStatusAsync(h)));
        Assert.Equal(onA, states.Count(s => s.State == RedisJobState.Unreachable));
        Assert.All(states.Where(s => s.State == RedisJobState.Unreachable), s => Assert.Equal($"127.0.0.1:{a.Port}", s.Instance));

        // a returns from its append-only file: its jobs run, and each job has exactly one result.
        await a.LaunchAsync();
        var values = await Task.WhenAll(all.Select(h => client.WaitAsync<int>(h))).WaitAsync(TestOptions.Guard);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => i * i), values);
        Assert.Equal(600, (await Task.WhenAll(all.Select(h => client.GetStatusAsync(h)))).Count(s => s.State == RedisJobState.Succeeded && s.Deliveries == 1));
    }
}
