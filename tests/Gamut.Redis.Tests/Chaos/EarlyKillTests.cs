using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-11: SIGTERM to a worker with 16 jobs in flight (5 s deadline), and the deploy mistake of a
/// SIGKILL 1 s after it. Graceful: nothing lost, nothing run twice. Killed early: nothing lost; jobs run twice at
/// most those in flight, and only those that ran to the end without their outcome reaching Redis.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class EarlyKillTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("graceful")]
    [InlineData("kill-1s-after-term")]
    public async Task RQ11_a_worker_stopped_under_load_loses_nothing(string how)
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-11");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        var job = JobRef.To<LedgerJob, int, int>();
        var first = await run.StartWorkerAsync(16);
        for (var i = 0; i < 16; i++)
        {
            Assert.True(await run.Ledger.EnqueueAsync(client, job, run.Seed.Random.Next(200, 3000)));
        }

        await Wait.UntilAsync(async () => await run.Server.CliAsync("LLEN", $"{run.Prefix}:{{default}}:active:{first.WorkerId}") == "16", "16 jobs in flight");
        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => run.Ledger.EnqueueAsync(client, job, 20)));
        first.Signal("TERM");
        if (how == "graceful")
        {
            await first.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            Assert.True(first.ExitCode == 0, $"{run.Seed}: exit {first.ExitCode}: {first.Stderr}");
        }
        else
        {
            await Task.Delay(1000);
            run.Kill(first);
        }

        await run.StartWorkerAsync(8);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var tally = await run.TallyAsync(how, "16 jobs of 0.2-3 s in flight at SIGTERM");
        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: how == "graceful");
        Assert.Equal(116, tally.Acked);
        if (how == "graceful")
        {
            Assert.Equal(0, tally.Duplicates);
        }
        else
        {
            Assert.InRange(tally.Duplicates, 0, 16);
        }
    }
}
