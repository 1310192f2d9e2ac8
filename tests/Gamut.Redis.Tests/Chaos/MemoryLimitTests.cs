using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-10: Redis at its memory limit. With <c>noeviction</c> an enqueue is refused with a typed error and
/// leaves nothing behind; workers still start and drain the queue (their scripts free memory); then enqueues work
/// again. With an evicting policy, which would drop queued jobs silently, nothing starts.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class MemoryLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RQ10_a_full_redis_refuses_enqueues_with_a_typed_error_writes_no_half_job_and_is_drained()
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-10", "--maxmemory", "16mb", "--maxmemory-policy", "noeviction");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        var job = JobRef.To<LedgerBlobJob, BlobInput, string>();
        var input = new BlobInput(2, 10, new string('p', 4000));

        // Flood until Redis has refused a good number of enqueues, then until a lone enqueue is refused too: when a
        // flood's replies have gone, the memory its client buffers held is free again, and one more job may fit.
        RedisFullException? full = null;
        while (full is null)
        {
            Assert.True(run.Ledger.Submitted.Count < 50_000, $"{run.Seed}: Redis never filled up");
            await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => run.Ledger.EnqueueAsync(client, job, input)));
            if (run.Ledger.Failed.Count < 20)
            {
                continue;
            }

            var id = JobIds.New();
            run.Ledger.Submit(id);
            try
            {
                await client.EnqueueAsync(job, input, new JobOptions { Id = id });
                run.Ledger.Ack(id);
            }
            catch (RedisFullException e)
            {
                run.Ledger.Fail(id);
                full = e;
            }
        }

        Assert.Contains("maxmemory", full.Message);
        Assert.NotNull(full.Job);
        var memory = await run.Server.CliAsync("INFO", "memory");
        run.Log($"full after {run.Ledger.Acked.Count} jobs: {memory.Split('\n').First(l => l.StartsWith("used_memory_human", StringComparison.Ordinal)).Trim()}");

        // No half-written job: every acknowledged job is whole and queued, no refused one left a trace.
        await using (var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{run.Server.Port}"))
        {
            var tag = $"{run.Prefix}:{{default}}:";
            var scan = await ConsistencyScan.RunAsync(mux.GetDatabase(), mux.GetServers()[0], tag);
            Assert.True(scan.Inconsistent == 0, $"{run.Seed}: {string.Join("; ", scan.Problems.Take(5))}");
            Assert.Equal(run.Ledger.Acked.Count, scan.Records);
            foreach (var id in run.Ledger.Failed.Append(full.Job!.Value.Id).Distinct())
            {
                Assert.False(await mux.GetDatabase().KeyExistsAsync(tag + "job:" + id), $"{run.Seed}: refused job {id} has a record");
            }
        }

        // Workers start on a full Redis and drain it; then there is room again.
        await run.StartWorkerAsync(8);
        await run.StartWorkerAsync(8);
        await run.DrainAsync();
        var more = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => run.Ledger.EnqueueAsync(client, job, input)));
        Assert.All(more, Assert.True);
        await run.DrainAsync();
        await run.StopWorkersAsync();
        var tally = await run.TallyAsync("noeviction", "maxmemory 16mb; flooded with 4 KB payloads until 20 enqueues were refused");
        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.True(tally.Failed >= 20);
        Assert.Equal(tally.Acked, tally.Records);
        Assert.Equal(tally.Acked, tally.Enqueued);
    }

    [Fact]
    public async Task RQ10_with_an_evicting_memory_policy_neither_workers_nor_clients_start()
    {
        await using var server = await RedisServer.StartAsync("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru");
        using var worker = WorkerProcess.Start(server, "rq10lru", "default", 1, null);
        await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        Assert.NotEqual(0, worker.ExitCode);
        Assert.Contains("maxmemory-policy allkeys-lru", worker.Stderr);
        var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(TestOptions.For(server)));
        Assert.Equal(RedisStartupProblem.EvictionPolicy, error.Problem);
    }
}
