using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-8: completion messages lost. PUB/SUB is at-most-once: a subscriber that is disconnected (killed,
/// or dropped by Redis for a full output buffer) misses what was published meanwhile. Every wait must still end with
/// the right result, because a waiting client re-reads the records after every resubscription and periodically.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class LostCompletionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RQ8_subscribers_killed_again_and_again_still_get_every_result()
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-8");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        await run.StartWorkerAsync(8);
        await run.StartWorkerAsync(8);
        var n = Wait.Scale(1000, 5000);
        var job = JobRef.To<LedgerJob, int, int>();
        var waits = Task.WhenAll(Enumerable.Range(0, n).Select(i => run.Ledger.SubmitAsync(client, job, i % 100, r => r == i % 100)));

        // CLIENT KILL TYPE pubsub at seeded intervals while completions flow (the workers' own subscriptions go too).
        int rounds = 0, killed = 0;
        while (!waits.IsCompleted)
        {
            killed += int.TryParse(await run.Server.CliAsync("CLIENT", "KILL", "TYPE", "pubsub"), out var k) ? k : 0;
            rounds++;
            await Task.Delay(run.Seed.Random.Next(30, 150));
        }

        var outcomes = await waits.WaitAsync(TestOptions.Guard);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var tally = await run.TallyAsync("client-kill", $"CLIENT KILL TYPE pubsub x{rounds}, {killed} subscriber connections killed");
        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.All(outcomes, o => Assert.Equal("result", o));
        Assert.True(killed > 0, $"{run.Seed}: no subscriber was killed");
    }

    [Fact]
    public async Task RQ8_a_subscriber_dropped_for_its_output_buffer_still_gets_every_result()
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-8");

        // Completion messages carry results up to 64 KiB; past Redis' 16 KiB reply buffer, a 1-byte PUB/SUB output
        // limit drops the subscriber at once — every such message is lost to it.
        Assert.Equal("OK", await run.Server.CliAsync("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 1 0"));
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        await run.StartWorkerAsync(8);
        var n = Wait.Scale(300, 3000);
        var job = JobRef.To<LedgerBlobJob, BlobInput, string>();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, n).Select(i =>
            run.Ledger.SubmitAsync(client, job, new BlobInput(i % 20, 30_000, ""), r => r.Length == 30_000))).WaitAsync(TestOptions.Guard);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var dropped = run.Server.Log().Split('\n').Count(l => l.Contains("output buffer limits", StringComparison.Ordinal));
        var tally = await run.TallyAsync("output-buffer", $"client-output-buffer-limit pubsub 1 1 0: {dropped} subscribers dropped by Redis");
        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.All(outcomes, o => Assert.Equal("result", o));
        Assert.True(dropped > 0, $"{run.Seed}: Redis never dropped a subscriber for its output buffer");
    }
}
