using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Ring;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ring;

/// <summary>
/// RELIABILITY.md RG-1: three instances with AOF (appendfsync always), thousands of jobs, worker processes; one
/// instance is (a) killed with SIGKILL and restarted from its AOF, or (b) lost for good. CI size 2,000 jobs;
/// GAMUT_SOAK=1 runs 10,000.
/// </summary>
public sealed class RingCrashTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();
    private static readonly string[] Aof = ["--appendonly", "yes", "--appendfsync", "always"];

    [Fact]
    public async Task RG1a_an_instance_killed_mid_run_and_restarted_from_its_aof_loses_nothing_and_duplicates_no_result()
    {
        await using var ring = await RingScenario.StartAsync("rg1a", 3, Aof);
        var n = Wait.Scale(2000, 10_000);
        var a = ring.Servers[0];
        await ring.StartWorkersAsync(2, 8);
        await using var client = await RedisExecutor.ConnectAsync(ring.Options());

        // A waiting client across the crash: its output must come back complete and in order.
        var mapped = Task.Run(async () =>
        {
            var values = new List<int>();
            await foreach (var o in client.MapAsync(LedgerJob, Enumerable.Range(1, 200).ToAsyncEnumerable(), new MapOptions { MaxInFlight = 50 }))
            {
                values.Add(o.Value);
            }

            return values;
        });

        var restarted = false;
        var produced = 0;
        var backlogAtKill = 0L;
        foreach (var chunk in Enumerable.Range(0, n).Chunk(100))
        {
            if (!restarted && produced >= n / 2)
            {
                backlogAtKill = await ring.BacklogAsync(a);
                a.Kill();
                await Task.Delay(2000);
                await a.LaunchAsync();
                restarted = true;
                await Wait.UntilAsync(() => Task.FromResult(client.Deployment.Instances.Single(i => i.Member == RingScenario.Member(a)).IsLive), "the client saw a answer again", TestOptions.Guard);
            }

            // Jobs of 20 ms: produced faster than 16 slots run them, so the killed instance holds a backlog.
            await Task.WhenAll(chunk.Select(_ => ring.Ledger.EnqueueAsync(client, LedgerJob, 20)));
            produced += chunk.Length;
        }

        Assert.Equal(Enumerable.Range(1, 200), await mapped.WaitAsync(TimeSpan.FromMinutes(3)));
        var acked = ring.Ledger.Acked.ToList();
        await Wait.UntilAsync(async () => (await ring.ReadAsync(acked)).Values.All(r => r.Count == 1 && r[0].State == "succeeded"),
            "every acknowledged job succeeded", TimeSpan.FromMinutes(3));

        var records = await ring.ReadAsync(acked);
        var executions = ring.Executions();
        var onA = records.Values.Count(r => r.Any(x => x.Server == a));
        RingScenario.Report(output,
            $"RG-1a n={n}: submitted={ring.Ledger.Submitted.Count} acked={acked.Count} indeterminate={ring.Ledger.Indeterminate.Count} " +
            $"on_killed_instance={onA} its_backlog_at_kill={backlogAtKill} executed={executions.Values.Sum()} lost={records.Values.Count(r => r.Count == 0)} " +
            $"result_duplicates={records.Values.Count(r => r.Count > 1)} execution_duplicates={executions.Values.Sum(v => v - 1)}");
        Assert.Equal(n, acked.Count);
        Assert.True(backlogAtKill > 0, "the killed instance held jobs to run");
        Assert.All(records.Values, r => Assert.Single(r));
        Assert.All(acked, id => Assert.True(executions.ContainsKey(id), $"job {id} ran"));
        foreach (var s in ring.Servers)
        {
            Assert.Equal(0, await ring.BacklogAsync(s));
        }
    }

    [Fact]
    public async Task RG1b_an_instance_lost_for_good_leaves_the_others_jobs_done_and_its_own_reported_pending_exactly()
    {
        await using var ring = await RingScenario.StartAsync("rg1b", 3, Aof);
        var n = Wait.Scale(2000, 10_000);
        var (a, b, c) = (ring.Servers[0], ring.Servers[1], ring.Servers[2]);
        await ring.StartWorkersAsync(2, 8);
        await using var client = await RedisExecutor.ConnectAsync(ring.Options(indeterminateWait: TimeSpan.FromSeconds(3)));

        var lostForGood = false;
        var produced = 0;
        foreach (var chunk in Enumerable.Range(0, n).Chunk(100))
        {
            if (!lostForGood && produced >= n / 2)
            {
                // Paused first, so the kill falls between commands: an outcome a was recording at the instant of a
                // kill could be on its disk without its writer knowing (docs/ring.md); here every command a ran
                // was answered, and what it did not run never happened.
                await a.CliAsync("CLIENT", "PAUSE", "600000", "ALL");
                await Wait.UntilAsync(() => Task.FromResult(!client.Deployment.Instances.Single(i => i.Member == RingScenario.Member(a)).IsLive), "the client saw a stop answering", TestOptions.Guard);
                await Task.Delay(1000);
                a.Kill();
                lostForGood = true;
            }

            await Task.WhenAll(chunk.Select(_ => ring.Ledger.EnqueueAsync(client, LedgerJob, 5, attempts: 1)));
            produced += chunk.Length;
        }

        // The other instances' jobs all complete.
        var acked = ring.Ledger.Acked.ToList();
        await Wait.UntilAsync(async () => await ring.BacklogAsync(b) == 0 && await ring.BacklogAsync(c) == 0, "b and c drained", TimeSpan.FromMinutes(3));
        var live = await ring.ReadAsync(acked, [b, c]);
        Assert.All(live.Values.Where(r => r.Count > 0), r => Assert.Equal("succeeded", Assert.Single(r).State));

        // What gamut status reports for a, beside what a's own disk says (read from a copy of its directory,
        // on another port, outside the ring).
        await using var admin = await RedisAdmin.ConnectAsync(ring.Options([b]));
        var status = await admin.GetStatusAsync();
        var reported = status.Instances.Single(i => i.Instance == RingScenario.Member(a));
        Assert.False(reported.Answers);
        await using var forensic = await RedisServer.StartInDirectoryAsync(CopyOf(a.Directory), "--appendonly", "yes");
        var onDisk = await ring.ReadAsync(acked, [forensic]);
        var unfinished = onDisk.Where(r => r.Value.Count == 1 && !RedisJobStatesFinal(r.Value[0].State)).Select(r => r.Key).ToHashSet();
        await using var ringView = await RedisExecutor.ConnectAsync(ring.Options([b]));
        var indexed = await ringView.Deployment.Ring!.Pending.ReadAsync(RingScenario.Member(a), CancellationToken.None);

        var executions = ring.Executions();
        var nowhere = acked.Where(id => live[id].Count == 0 && onDisk[id].Count == 0).ToList();
        var twice = acked.Count(id => live[id].Count + onDisk[id].Count > 1);
        RingScenario.Report(output,
            $"RG-1b n={n}: submitted={ring.Ledger.Submitted.Count} acked={acked.Count} indeterminate={ring.Ledger.Indeterminate.Count} " +
            $"done_on_others={live.Values.Count(r => r.Count > 0)} on_lost_instance={onDisk.Values.Count(r => r.Count > 0)} unfinished_there={unfinished.Count} " +
            $"reported_pending={reported.Pending} lost={nowhere.Count} in_two_places={twice} executed_twice={executions.Values.Count(v => v > 1)}");
        Assert.True(unfinished.Count > 0, "the lost instance held unfinished jobs");
        Assert.Empty(nowhere);
        Assert.Equal(0, twice);
        Assert.Equal(unfinished.Count, reported.Pending);
        Assert.Equal(unfinished.Count, status.Queues.Single(q => q.Name == RingScenario.Queue).Unreachable);
        Assert.Equal(unfinished.OrderBy(x => x, StringComparer.Ordinal), indexed.Select(e => e.Split(' ')[1]).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(0, executions.Values.Count(v => v > 1));

        // Enqueues that a never answered were not taken by it, and went nowhere else.
        var unconfirmed = ring.Ledger.Indeterminate.Except(acked).ToList();
        Assert.All((await ring.ReadAsync(unconfirmed, [b, c, forensic])).Values, r => Assert.Empty(r));
    }

    private static bool RedisJobStatesFinal(string state) => state is "succeeded" or "failed" or "dead" or "cancelled";

    private static string CopyOf(string dir)
    {
        var copy = Wait.TempDir("rg1b-disk");
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(dir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }
}
