using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RG-3: a Sentinel fail-over. The primary is killed with SIGKILL mid-run; Sentinel promotes a replica;
/// clients and workers follow it. Redis replication is asynchronous, so without WAIT acknowledged jobs can be lost:
/// this is a measurement, and the ledger reports the loss. What must hold: nothing hangs, every lost job a client
/// waited for is reported to it, nothing is stuck. With WAIT 1 and min-replicas-to-write 1, a process kill is
/// expected to lose no acknowledged job.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Theory]
    [InlineData("async")]
    [InlineData("wait-1")]
    public async Task RG3_a_sentinel_failover_mid_run_is_measured_and_nothing_hangs(string mode)
    {
        var primary = await RedisServer.StartAsync();
        await using var run = ChaosRun.On(output, "RG-3", primary);
        await using var group = await SentinelGroup.StartAsync(primary);
        var wait = mode == "wait-1";
        if (wait)
        {
            await group.ConfigureAllAsync("CONFIG", "SET", "min-replicas-to-write", "1");
            await group.ConfigureAllAsync("CONFIG", "SET", "min-replicas-max-lag", "2");
        }

        var options = run.Through(group.Url);
        options = wait ? options.WithReplicaAcks(1, TimeSpan.FromMilliseconds(500)) : options;
        await using var client = await RedisExecutor.ConnectAsync(options);
        var env = new Dictionary<string, string> { ["GAMUT_TEST_HEARTBEAT"] = "250,2000", ["GAMUT_TEST_MAX_LOST"] = "50" };
        await run.StartWorkerAsync(4, group.Url, env);
        await run.StartWorkerAsync(4, group.Url, env);

        // Jobs go in at a steady pace; one in ten is awaited. The primary dies at a seeded moment in the middle.
        var n = Wait.Scale(2000, 20_000);
        var batches = 50;
        var pace = TimeSpan.FromMilliseconds(100);
        var waits = new List<Task<string>>();
        var killAt = run.Seed.Random.Next(batches / 4, batches / 2);
        var clock = new Stopwatch();
        long firstAckAfterKill = -1;
        foreach (var (chunk, index) in Enumerable.Range(0, n).Chunk(n / batches).Select((c, i) => (c, i)))
        {
            if (index == killAt)
            {
                primary.Kill();
                clock.Start();
            }

            var enqueues = chunk.Where(i => i % 10 != 0).Select(async _ =>
            {
                var ok = await run.Ledger.EnqueueAsync(client, LedgerJob, 5);
                if (ok && clock.IsRunning)
                {
                    Interlocked.CompareExchange(ref firstAckAfterKill, clock.ElapsedMilliseconds, -1);
                }
            });
            waits.AddRange(chunk.Where(i => i % 10 == 0).Select(_ => run.Ledger.SubmitAsync(client, LedgerJob, 5, r => r == 5)));
            await Task.WhenAll(enqueues).WaitAsync(TestOptions.Guard);
            await Task.Delay(pace);
        }

        await Wait.UntilAsync(async () => await group.PrimaryPortAsync() != primary.Port, "Sentinel promoted a replica");
        var promoted = group.ServerOn(await group.PrimaryPortAsync());
        var outcomes = await Task.WhenAll(waits).WaitAsync(TestOptions.Guard);
        var direct = run.Options with { Configuration = Gamut.Redis.Connection.RedisUrl.Parse(promoted.Url) };
        await run.DrainAsync(direct);
        await run.StopWorkersAsync();
        var told = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var tally = await run.TallyAsync(mode, $"primary SIGKILLed after {killAt * n / batches} submissions; writes acknowledged again {firstAckAfterKill / 1000.0:0.0} s after the kill; client_retries={client.Retries}; awaited: results={told.GetValueOrDefault("result")} told_lost={told.GetValueOrDefault("lost")}", direct);

        // A measurement: the loss is reported, never hidden. Nothing may hang, be stuck, or appear from nowhere.
        Assert.Equal(0, tally.Unexpected);
        Assert.Equal(0, tally.Stuck);
        Assert.Equal(0, tally.Inconsistent);
        Assert.DoesNotContain("wrong-result", told.Keys);
        Assert.DoesNotContain("unconfirmed", told.Keys);
        Assert.Equal(told.GetValueOrDefault("lost"), outcomes.Length - told.GetValueOrDefault("result"));
        Assert.True(firstAckAfterKill >= 0, $"{run.Seed}: no enqueue was acknowledged after the fail-over");
        if (wait)
        {
            Assert.True(tally.Lost == 0, $"{run.Seed}: with WAIT 1 and min-replicas-to-write 1, a process kill lost {tally.Lost} acknowledged jobs — {tally}");
        }
    }
}
