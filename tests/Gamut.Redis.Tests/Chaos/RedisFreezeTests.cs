using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-5: Redis frozen past the heartbeat TTL (1 s here) and the command timeout (5 s), three ways.
/// After a freeze every heartbeat key may expire at once; a naive reaper would then take every in-flight job from
/// live workers. Every worker here stays alive, so every reap is spurious: target 0.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class RedisFreezeTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Theory]
    [InlineData("sigstop")]
    [InlineData("debug-sleep")]
    [InlineData("client-pause")]
    public async Task RQ5_a_redis_frozen_past_the_heartbeat_ttl_causes_no_spurious_reaping(string how)
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-5", "--enable-debug-command", "local");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        for (var i = 0; i < 2; i++)
        {
            await run.StartWorkerAsync(concurrency: 4);
        }

        var n = Wait.Scale(300, 1000);
        var producing = Task.Run(async () =>
        {
            foreach (var chunk in Enumerable.Range(0, n).Chunk(50))
            {
                await Task.WhenAll(chunk.Select(_ => run.Ledger.EnqueueAsync(client, LedgerJob, 100)));
            }
        });

        // Freeze while jobs are in flight, at a seeded moment; 6 s is past the TTL and every client's command timeout.
        await Task.Delay(run.Seed.Between(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1500)));
        var freeze = TimeSpan.FromSeconds(6);
        var inFlight = await run.Server.CliAsync("EVAL", "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do n = n + redis.call('LLEN', k) end return n", "0", $"{run.Prefix}:{{default}}:active:*");
        switch (how)
        {
            case "sigstop":
                run.Server.Signal("STOP");
                await Task.Delay(freeze);
                run.Server.Signal("CONT");
                break;
            case "debug-sleep":
                Assert.Equal("OK", await run.Server.CliAsync("DEBUG", "SLEEP", freeze.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            default:
                Assert.Equal("OK", await run.Server.CliAsync("CLIENT", "PAUSE", freeze.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "ALL"));
                await Task.Delay(freeze);
                break;
        }

        await producing.WaitAsync(TestOptions.Guard);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var reaped = await run.Server.CliAsync("HGET", $"{run.Prefix}:{{default}}:stats", "reaped");
        var spurious = string.IsNullOrEmpty(reaped) ? 0 : int.Parse(reaped);
        var tally = await run.TallyAsync(how, $"frozen {freeze.TotalSeconds} s with {inFlight} jobs in flight; spurious_reaps={spurious}");
        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.Equal(n, tally.Acked);
        Assert.True(spurious == 0, $"{run.Seed}: {spurious} jobs were reaped from live workers after the freeze");
        Assert.Equal(0, tally.Duplicates);
    }
}
