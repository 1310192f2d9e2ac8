using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RG-3, variant "restart-empty": the Sentinel-managed primary is SIGKILLed, Sentinel promotes a
/// replica, and the crashed primary is restarted EMPTY (no persistence) on its old port before Sentinel demotes it.
/// Until then it answers as a primary at the address clients knew, and whatever is written there is erased when
/// Sentinel makes it a replica of the new primary. Clients and workers must confirm with Sentinel and <c>ROLE</c>
/// that an instance is the current primary before they write after a disconnect. Pass: lost = 0, or every lost job
/// was reported to its waiting client — with nine jobs in ten enqueued without a waiter, a write to the restarted
/// instance shows up as a lost job nobody was told about.
/// </summary>
/// <remarks>
/// The kill comes at a quiet moment (the queue drained, both replicas caught up with the primary), so the only way to
/// lose a job here is the restarted primary; what an asynchronous replica misses at a kill is measured by the
/// "sentinel async" variant of <see cref="FailoverTests"/>.
/// </remarks>
[Collection(ChaosCollection.Name)]
public sealed class SentinelRestartTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Fact]
    public async Task RG3_a_crashed_primary_restarted_empty_before_demotion_gets_no_writes()
    {
        var first = await RedisServer.StartAsync();
        await using var run = ChaosRun.On(output, "RG-3", first);
        await using var sentinels = await SentinelGroup.StartAsync(first);
        await using var client = await RedisExecutor.ConnectAsync(run.Through(sentinels.Url));
        var env = new Dictionary<string, string> { ["GAMUT_TEST_HEARTBEAT"] = "250,2000", ["GAMUT_TEST_MAX_LOST"] = "50" };
        await run.StartWorkerAsync(4, sentinels.Url, env);
        await run.StartWorkerAsync(4, sentinels.Url, env);

        // Jobs go in at a steady pace, one in ten awaited; the primary dies at a seeded batch.
        var n = Wait.Scale(1500, 10_000);
        var batches = 30;
        var killAt = run.Seed.Random.Next(batches / 5, batches / 3);
        var waits = new List<Task<string>>();
        var fault = Task.FromResult(TimeSpan.Zero);
        var clock = new Stopwatch();
        foreach (var (chunk, index) in Enumerable.Range(0, n).Chunk(n / batches).Select((c, i) => (c, i)))
        {
            if (index == killAt)
            {
                await QuiesceAsync(run, first);
                first.Kill();
                clock.Start();
                fault = RestartEmptyBeforeDemotionAsync(run, sentinels, first);
            }

            var enqueues = chunk.Where(i => i % 10 != 0).Select(_ => run.Ledger.EnqueueAsync(client, LedgerJob, 5));
            waits.AddRange(chunk.Where(i => i % 10 == 0).Select(_ => run.Ledger.SubmitAsync(client, LedgerJob, 5, r => r == 5)));
            await Task.WhenAll(enqueues).WaitAsync(TestOptions.Guard);

            // Pacing only: submissions keep coming while the fault unfolds.
            await Task.Delay(100);
        }

        var masterFor = await fault.WaitAsync(TestOptions.Guard);
        var outcomes = await Task.WhenAll(waits).WaitAsync(TestOptions.Guard);
        var promoted = sentinels.ServerOn(await sentinels.PrimaryPortAsync());
        Assert.NotEqual(first, promoted);
        var direct = run.Options with { Configuration = RedisUrl.Parse(promoted.Url) };
        await run.DrainAsync(direct);
        await run.StopWorkersAsync();
        var told = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var tally = await run.TallyAsync(
            "sentinel restart-empty",
            $"primary SIGKILLed after {killAt * (n / batches)} submissions, restarted empty on its port after the fail-over, answered ROLE master for {masterFor.TotalSeconds:0.0} s until Sentinel demoted it; client_retries={client.Retries}; awaited: results={told.GetValueOrDefault("result")} told_lost={told.GetValueOrDefault("lost")}",
            direct);

        TallyReport.AssertClean(run.Seed, tally, lossReported: true);
        Assert.DoesNotContain("wrong-result", told.Keys);
        Assert.DoesNotContain("unconfirmed", told.Keys);
    }

    /// <summary>Waits until every job so far has ended and both replicas have everything the primary wrote until then.</summary>
    private static async Task QuiesceAsync(ChaosRun run, RedisServer primary)
    {
        await run.DrainAsync();
        var offset = Offsets(await primary.CliAsync("INFO", "replication"), "master_repl_offset:").Single();
        await Wait.UntilAsync(
            async () => Offsets(await primary.CliAsync("INFO", "replication"), "offset=") is [var a, var b] && a >= offset && b >= offset,
            $"{run.Seed}: both replicas caught up with the primary",
            TestOptions.Guard);
    }

    /// <summary>
    /// After Sentinel has promoted a replica (+switch-master), restarts the dead primary, empty, on its port; returns
    /// how long it answered ROLE master before Sentinel demoted it.
    /// </summary>
    private static async Task<TimeSpan> RestartEmptyBeforeDemotionAsync(ChaosRun run, SentinelGroup sentinels, RedisServer dead)
    {
        await Wait.UntilAsync(async () => await sentinels.PrimaryPortAsync() is var p && p > 0 && p != dead.Port, $"{run.Seed}: Sentinel promoted a replica", TestOptions.Guard);
        await dead.LaunchAsync();
        var back = Stopwatch.StartNew();
        Assert.StartsWith("master", await dead.CliAsync("ROLE"), StringComparison.Ordinal);
        await Wait.UntilAsync(async () => (await dead.CliAsync("ROLE")).StartsWith("slave", StringComparison.Ordinal), $"{run.Seed}: Sentinel demoted the restarted primary", TestOptions.Guard);
        return back.Elapsed;
    }

    private static List<long> Offsets(string info, string field) =>
        [.. info.Split('\n').SelectMany(line => line.Split(',')).Where(p => p.Trim().StartsWith(field, StringComparison.Ordinal)).Select(p => long.Parse(p.Trim()[field.Length..]))];
}
