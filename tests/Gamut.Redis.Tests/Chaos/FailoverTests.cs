using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RG-3: a replicated primary fails over — under Sentinel, and in a Redis Cluster. The primary that
/// holds the queue is killed with SIGKILL mid-run; a replica is promoted; clients and workers follow it. Redis
/// replication is asynchronous, so without WAIT acknowledged jobs can be lost: this is a measurement, and the
/// ledger reports the loss. What must hold: nothing hangs, every lost job a client waited for is reported to it,
/// nothing is stuck. With WAIT 1 and min-replicas-to-write 1, a process kill is expected to lose no acknowledged job.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Theory]
    [InlineData("sentinel", false)]
    [InlineData("sentinel", true)]
    [InlineData("cluster", false)]
    [InlineData("cluster", true)]
    public async Task RG3_a_failover_mid_run_is_measured_and_nothing_hangs(string topology, bool wait)
    {
        var mode = $"{topology} {(wait ? "wait-1" : "async")}";
        SentinelGroup? sentinels = null;
        ClusterGroup? cluster = null;
        ChaosRun run;
        string url;
        Func<Task<RedisServer?>> primaryOfQueue;
        Func<RedisServer, Task> replaceReplica = _ => Task.CompletedTask;
        if (topology == "sentinel")
        {
            var first = await RedisServer.StartAsync();
            run = ChaosRun.On(output, "RG-3", first);
            sentinels = await SentinelGroup.StartAsync(first);
            url = sentinels.Url;
            primaryOfQueue = async () => await sentinels.PrimaryPortAsync() is var port and > 0 ? sentinels.ServerOn(port) : null;
        }
        else
        {
            cluster = await ClusterGroup.StartAsync();
            run = ChaosRun.On(output, "RG-3", cluster.Nodes[0], owns: false);
            url = cluster.Url;
            primaryOfQueue = () => cluster.PrimaryForAsync($"{run.Prefix}:{{default}}:queue");

            // Each shard has one replica: once it is promoted it has none, and under min-replicas-to-write 1 it refuses
            // every write until an operator gives it one.
            replaceReplica = wait ? cluster.AddReplicaAsync : replaceReplica;
        }

        try
        {
            await RunAsync(run, mode, url, wait, primaryOfQueue, replaceReplica, args => sentinels?.ConfigureAllAsync(args) ?? cluster!.ConfigureAllAsync(args));
        }
        finally
        {
            await run.DisposeAsync();
            if (sentinels is not null)
            {
                await sentinels.DisposeAsync();
            }

            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(ChaosRun run, string mode, string url, bool wait, Func<Task<RedisServer?>> primaryOfQueue, Func<RedisServer, Task> replaceReplica, Func<string[], Task> configureAll)
    {
        if (wait)
        {
            await configureAll(["CONFIG", "SET", "min-replicas-to-write", "1"]);
            await configureAll(["CONFIG", "SET", "min-replicas-max-lag", "2"]);
        }

        var options = run.Through(url);
        options = wait ? options.WithReplicaAcks(1, TimeSpan.FromMilliseconds(500)) : options;
        await using var client = await RedisExecutor.ConnectAsync(options);
        var env = new Dictionary<string, string> { ["GAMUT_TEST_HEARTBEAT"] = "250,2000", ["GAMUT_TEST_MAX_LOST"] = "50" };
        await run.StartWorkerAsync(4, url, env);
        await run.StartWorkerAsync(4, url, env);

        // Jobs go in at a steady pace; one in ten is awaited. The primary dies at a seeded moment in the middle.
        var n = Wait.Scale(2000, 10_000);
        var batches = 50;
        var waits = new List<Task<string>>();
        var killAt = run.Seed.Random.Next(batches / 4, batches / 2);
        var clock = new Stopwatch();
        long firstAckAfterKill = -1;
        RedisServer? killed = null;
        var recovery = Task.CompletedTask;
        foreach (var (chunk, index) in Enumerable.Range(0, n).Chunk(n / batches).Select((c, i) => (c, i)))
        {
            if (index == killAt)
            {
                killed = await primaryOfQueue() ?? throw new InvalidOperationException("no primary before the fault");
                killed.Kill();
                clock.Start();

                // The crashed primary stays down (restarting it without persistence would let clients write to an
                // empty primary until it is demoted: docs/reliability.md). A replica is promoted meanwhile.
                var dead = killed;
                recovery = Task.Run(async () =>
                {
                    RedisServer? now = null;
                    await Wait.UntilAsync(async () => (now = await primaryOfQueue()) is not null && now != dead, "a replica was promoted");
                    await replaceReplica(now!);
                });
            }

            var enqueues = chunk.Where(i => i % 10 != 0).Select(async _ =>
            {
                if (await run.Ledger.EnqueueAsync(client, LedgerJob, 5) && clock.IsRunning)
                {
                    Interlocked.CompareExchange(ref firstAckAfterKill, clock.ElapsedMilliseconds, -1);
                }
            });
            waits.AddRange(chunk.Where(i => i % 10 == 0).Select(_ => run.Ledger.SubmitAsync(client, LedgerJob, 5, r => r == 5)));
            await Task.WhenAll(enqueues).WaitAsync(TestOptions.Guard);
            await Task.Delay(100);
        }

        await recovery.WaitAsync(TestOptions.Guard);
        var promoted = await primaryOfQueue() ?? throw new InvalidOperationException("no primary after the fail-over");
        Assert.NotEqual(killed, promoted);
        var outcomes = await Task.WhenAll(waits).WaitAsync(TestOptions.Guard);
        var direct = run.Options with { Configuration = RedisUrl.Parse(promoted.Url) };
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
