using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-7: a seeded schedule of network faults through fault proxies, on the producer's connection, on
/// two of three workers' connections, and on a waiting client's connections (its PUB/SUB connection alone, or all).
/// Nothing acknowledged may be lost; every retried (indeterminate) enqueue must leave one job, not two; every
/// duplicate run must be counted by Redis; every wait must end with the right result.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class NetworkToxicsTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    private static readonly string[] Kinds = ["latency", "blackhole", "reset", "limit_data", "slicer", "bandwidth", "down"];

    private static readonly string[] Targets = ["producer", "workers", "subscriber", "waiter"];

    [Fact]
    public async Task RQ7_network_toxics_lose_nothing_create_no_second_job_and_every_duplicate_is_counted()
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-7");
        var proxies = new Dictionary<string, FaultProxy> { ["producer"] = run.Proxy(), ["workers"] = run.Proxy(), ["waiter"] = run.Proxy() };
        proxies["subscriber"] = proxies["waiter"];
        const string timeout = "?timeout=2000";
        await using var producer = await RedisExecutor.ConnectAsync(run.Through(proxies["producer"].Url + timeout));
        await using var waiter = await RedisExecutor.ConnectAsync(run.Through(proxies["waiter"].Url + timeout));

        // Beats every 250 ms last 2 s, so latency alone does not make a worker look dead; a blackhole longer than that does.
        var env = new Dictionary<string, string> { ["GAMUT_TEST_HEARTBEAT"] = "250,2000", ["GAMUT_TEST_MAX_LOST"] = "50" };
        await run.StartWorkerAsync(4, proxies["workers"].Url + timeout, env);
        await run.StartWorkerAsync(4, proxies["workers"].Url + timeout, env);
        await run.StartWorkerAsync(4, null, env);

        var schedule = Schedule(run.Seed, rounds: Wait.Scale(1, 4));
        var length = schedule.Aggregate(TimeSpan.Zero, (sum, e) => sum + e.Duration + Gap);
        var n = Wait.Scale(2000, 10_000);
        var awaited = n / 10;
        var batches = 40;
        var pace = length / batches;
        var produce = Task.Run(async () =>
        {
            foreach (var chunk in Enumerable.Range(0, n - awaited).Chunk((n - awaited + batches - 1) / batches))
            {
                await Task.WhenAll(chunk.Select(_ => run.Ledger.EnqueueAsync(producer, LedgerJob, 50)));
                await Task.Delay(pace);
            }
        });
        var waits = Task.Run(async () =>
        {
            var all = new List<Task<string>>();
            foreach (var chunk in Enumerable.Range(0, awaited).Chunk((awaited + batches - 1) / batches))
            {
                all.AddRange(chunk.Select(_ => run.Ledger.SubmitAsync(waiter, LedgerJob, 50, r => r == 50)));
                await Task.Delay(pace);
            }

            return await Task.WhenAll(all);
        });

        var injected = new List<string>();
        foreach (var e in schedule)
        {
            injected.Add(await InjectAsync(proxies[e.Target], e, run.Seed.Random));
            await Task.Delay(Gap);
        }

        await produce.WaitAsync(TestOptions.Guard);
        var outcomes = await waits.WaitAsync(TestOptions.Guard);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var tally = await run.TallyAsync("", $"client_retries={producer.Retries + waiter.Retries}; " + string.Join("; ", injected));
        var stats = proxies.Values.Distinct().Select(p => $"accepted={p.Accepted} resets={p.Resets} cuts={p.Cuts} refused={p.Refused}");
        run.Log("proxies: " + string.Join(" / ", stats));

        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.Equal(n, tally.Acked);
        Assert.Equal(0, tally.Failed);
        Assert.True(tally.Records == tally.Submitted, $"{run.Seed}: {tally.Records} job records for {tally.Submitted} submissions");
        Assert.True(tally.Enqueued == tally.Submitted, $"{run.Seed}: Redis created {tally.Enqueued} jobs for {tally.Submitted} submissions");
        Assert.All(outcomes, o => Assert.Equal("result", o));
        Assert.True(proxies.Values.Sum(p => p.Resets + p.Cuts) > 0, $"{run.Seed}: no connection was reset or cut: the schedule injected nothing");
    }

    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(300);

    private sealed record Episode(string Kind, string Target, TimeSpan Duration);

    /// <summary>Each kind of fault once per round, in a seeded order, on a seeded target; plus one blackhole past every timeout.</summary>
    private static List<Episode> Schedule(ChaosSeed seed, int rounds)
    {
        var r = seed.Random;
        var episodes = new List<Episode>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var kind in Kinds.OrderBy(_ => r.Next()))
            {
                episodes.Add(new Episode(kind, Targets[r.Next(Targets.Length)], seed.Between(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2.5))));
            }
        }

        episodes.Insert(r.Next(episodes.Count + 1), new Episode("blackhole", Targets[r.Next(Targets.Length)], TimeSpan.FromSeconds(6)));
        return episodes;
    }

    private static async Task<string> InjectAsync(FaultProxy proxy, Episode e, Random r)
    {
        var role = e.Target == "subscriber" ? ConnectionRole.Subscriber : ConnectionRole.Any;
        string what;
        switch (e.Kind)
        {
            case "reset":
                var resets = 0;
                var until = DateTime.UtcNow + e.Duration;
                while (DateTime.UtcNow < until)
                {
                    resets += proxy.ResetPeers(role);
                    await Task.Delay(300);
                }

                return $"reset_peer x{resets} on {e.Target}";
            case "down":
                proxy.Down();
                await Task.Delay(e.Duration);
                proxy.Up();
                return $"down {e.Duration.TotalSeconds:0.0}s on {e.Target}";
            case "latency":
                var latency = TimeSpan.FromMilliseconds(r.Next(50, 500));
                proxy.Set(new Toxics { Latency = latency, Jitter = latency / 2, Role = role });
                break;
            case "blackhole":
                proxy.Set(new Toxics { Blackhole = true, Role = role });
                break;
            case "limit_data":
                proxy.Set(new Toxics { LimitReplyBytes = r.Next(0, 2000), Role = role });
                break;
            case "slicer":
                proxy.Set(new Toxics { SliceBytes = r.Next(1, 4), Role = role });
                break;
            default:
                proxy.Set(new Toxics { BytesPerSecond = r.Next(8_000, 32_000), Role = role });
                break;
        }

        what = $"{proxy.Toxics} {e.Duration.TotalSeconds:0.0}s on {e.Target}";
        await Task.Delay(e.Duration);
        proxy.Clear();
        return what;
    }
}
