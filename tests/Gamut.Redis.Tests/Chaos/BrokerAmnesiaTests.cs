using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-4: Redis comes back without its data while clients wait for results — restarted without
/// persistence, flushed, or restored from an older snapshot. Jobs Redis forgot are lost (nothing can bring them
/// back); what is promised is that no wait hangs: every waiting client whose job is gone gets a typed
/// <see cref="JobLostException"/> naming it, and the workers carry on.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class BrokerAmnesiaTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Theory]
    [InlineData("restart-empty")]
    [InlineData("flushall")]
    [InlineData("older-snapshot")]
    public async Task RQ4_broker_amnesia_is_reported_to_every_waiting_client_and_nothing_hangs(string how)
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-4");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        for (var i = 0; i < 2; i++)
        {
            await run.StartWorkerAsync(concurrency: 4);
        }

        // Waiting clients: each submission awaits its outcome. 8 slots at 40 ms a job: a few seconds of work.
        var n = Wait.Scale(500, 2000);
        var waits = Enumerable.Range(0, n).Select(_ => run.Ledger.SubmitAsync(client, LedgerJob, 40, r => r == 40)).ToList();
        if (how == "older-snapshot")
        {
            await Task.Delay(run.Seed.Between(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(800)));
            Assert.Equal("OK", await run.Server.CliAsync("SAVE"));
        }

        await Task.Delay(run.Seed.Between(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1200)));
        var before = await run.Server.CliAsync("HGET", $"{run.Prefix}:{{default}}:stats", "succeeded");
        var clock = Stopwatch.StartNew();
        switch (how)
        {
            case "flushall":
                Assert.Equal("OK", await run.Server.CliAsync("FLUSHALL"));
                break;
            default:
                // No AOF: a restart loads the snapshot if there is one (older-snapshot), else nothing.
                run.Server.Kill();
                await Task.Delay(200);
                await run.Server.LaunchAsync();
                break;
        }

        var outcomes = await Task.WhenAll(waits).WaitAsync(TestOptions.Guard);
        var detected = clock.Elapsed;
        run.Log($"{how} after {before} results; every wait ended {detected.TotalSeconds:0.0} s after the fault");

        // The workers carry on: new jobs run as before.
        var after = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => run.Ledger.SubmitAsync(client, LedgerJob, 1, r => r == 1))).WaitAsync(TestOptions.Guard);
        Assert.All(after, o => Assert.Equal("result", o));
        Assert.All(run.Workers, w => Assert.False(w.HasExited, $"{run.Seed}: a worker died: {w.Stderr}"));

        await run.DrainAsync();
        await run.StopWorkersAsync();
        var told = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var tally = await run.TallyAsync(how, $"results={told.GetValueOrDefault("result")} told_lost={told.GetValueOrDefault("lost")} all_waits_ended_after={detected.TotalSeconds:0.0}s");

        // Losses are Redis' (it forgot the jobs); each must have been reported to its waiting client, none left hanging.
        Assert.True(tally.Lost == tally.LostReported, $"{run.Seed}: {tally.Lost - tally.LostReported} lost jobs were not reported to their clients — {tally}");
        Assert.DoesNotContain("wrong-result", told.Keys);
        Assert.Equal(0, tally.Unexpected);
        Assert.Equal(0, tally.Stuck);
        Assert.Equal(0, tally.Inconsistent);
        Assert.Equal(0, tally.PhantomDuplicates);
        if (how != "older-snapshot")
        {
            Assert.True(tally.Lost > 0, $"{run.Seed}: the fault hit no waiting job (it came too late to test anything) — {tally}");
        }
    }
}
