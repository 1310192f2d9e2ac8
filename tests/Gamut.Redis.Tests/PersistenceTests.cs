using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests;

/// <summary>RELIABILITY.md RQ-3: redis-server killed with SIGKILL mid-run and restarted from its append-only file.</summary>
public sealed class PersistenceTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    /// <summary>
    /// With <c>appendfsync always</c> Redis writes and fsyncs the AOF before it replies, so no acknowledged job may be
    /// lost. With <c>everysec</c> Redis promises less: while a background fsync is slow (a busy disk, a loaded machine)
    /// it postpones writing its AOF buffer for up to two seconds and still replies, so an acknowledged write may be
    /// lost even on kill -9 of the process alone. The test asserts only that: lost jobs are allowed (and printed in the
    /// tally), but a waiting client of a lost job is told so (JobLostException), never left hanging, and nothing else
    /// in the ledger may be wrong.
    /// </summary>
    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    public async Task RQ3_redis_killed_and_restarted_from_its_aof_loses_no_acknowledged_job_and_everyone_reconnects(string fsync)
    {
        var lossAllowed = fsync == "everysec";
        await using var server = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", fsync);
        var dir = Wait.TempDir("rq3");
        var ledger = new ProducerLedger(dir);
        var options = TestOptions.For(server, "rq3");
        var n = Wait.Scale(2000, 10_000);
        ExecutionLog.UseDirectory(dir);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 8 });
        await using var client = await RedisExecutor.ConnectAsync(options);

        // Some clients wait for results across the restart; their completion messages may be lost with the connection.
        var waiting = Enumerable.Range(0, 20).Select(async _ =>
        {
            var id = JobIds.New();
            ledger.Submit(id);
            try
            {
                var result = await client.SubmitAsync(LedgerJob, 200, new JobOptions { Id = id });
                ledger.Ack(id);
                return result;
            }
            catch (JobLostException) when (lossAllowed)
            {
                // Acknowledged, then lost with the AOF's unwritten tail: told, not hung.
                ledger.Ack(id);
                ledger.Outcome(id, "lost");
                return -1;
            }
        }).ToList();
        var handles = new List<JobHandle>();
        var restarted = false;
        foreach (var chunk in Enumerable.Range(0, n).Chunk(100))
        {
            if (!restarted && handles.Count >= n / 2)
            {
                server.Kill();
                await Task.Delay(300);
                await server.LaunchAsync();
                restarted = true;
            }

            await Task.WhenAll(chunk.Select(async _ =>
            {
                var id = JobIds.New();
                ledger.Submit(id);
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        // Retrying an indeterminate enqueue with the same id is safe: enqueue is idempotent on it.
                        await client.EnqueueAsync(LedgerJob, 1, new JobOptions { Id = id });
                        ledger.Ack(id);
                        lock (handles)
                        {
                            handles.Add(new JobHandle("default", id));
                        }

                        return;
                    }
                    catch (RedisUnavailableException) when (attempt < 50)
                    {
                        await Task.Delay(100);
                    }
                }
            }));
        }

        Assert.True(restarted);
        var results = await Task.WhenAll(waiting).WaitAsync(TestOptions.Guard);
        Assert.All(results, r => Assert.True(r == 200 || (lossAllowed && r == -1), $"a waiting client got {r}"));
        // Counters may lose their last increments with everysec; the job records are what count.
        await Wait.UntilAsync(async () =>
        {
            var t = await LedgerChecker.CheckAsync(options, "default", ledger);
            return (lossAllowed || t.Lost == 0) && t.Stuck == 0;
        }, lossAllowed ? "every acknowledged job that Redis kept succeeded" : "every acknowledged job succeeded");
        var tally = await LedgerChecker.CheckAsync(options, "default", ledger);
        var seed = ChaosSeed.Start(output, "RQ-3");
        TallyReport.Print(output, seed, $"appendfsync {fsync}", tally);
        Assert.Equal(n + 20, tally.Acked);
        TallyReport.AssertClean(seed, tally, lossAllowed: lossAllowed);
        Assert.True(tally.Lost >= results.Count(r => r == -1), $"{seed}: every loss told to a waiting client is in the tally: {tally}");
        await worker.StopAsync();
        ExecutionLog.UseDirectory(null);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task RQ3_a_torn_aof_tail_is_reported_as_lost_jobs_to_waiting_clients_never_a_hang()
    {
        await using var original = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        var options = TestOptions.For(original, "torn");
        var n = 300;
        List<JobHandle> handles;
        await using (var producer = await RedisExecutor.ConnectAsync(options))
        {
            handles = [.. await producer.EnqueueManyAsync(JobRef.To<SquareJob, int, int>(), Enumerable.Range(0, n), new JobOptions()) ];
            for (var i = 0; i < 50; i++)
            {
                handles.Add(await producer.EnqueueAsync(JobRef.To<SquareJob, int, int>(), i));
            }
        }

        original.Kill();
        var copy = Wait.TempDir("torn");
        foreach (var file in Directory.GetFiles(original.Directory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(original.Directory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var incr = Directory.GetFiles(Path.Combine(copy, "appendonlydir"), "*.incr.aof").Single();
        var length = new FileInfo(incr).Length;
        using (var f = new FileStream(incr, FileMode.Open))
        {
            f.SetLength(length - 3000);
        }

        await using var restored = await RedisServer.StartInDirectoryAsync(copy, "--appendonly", "yes", "--aof-load-truncated", "yes");
        var restoredOptions = options with { Configuration = StackExchange.Redis.ConfigurationOptions.Parse($"127.0.0.1:{restored.Port}") };
        await using var worker = await RedisWorker.StartAsync(restoredOptions, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        await using var client = await RedisExecutor.ConnectAsync(restoredOptions);
        var outcomes = await Task.WhenAll(handles.Select(async h =>
        {
            try
            {
                await client.WaitAsync<int>(h);
                return "result";
            }
            catch (JobLostException)
            {
                return "lost";
            }
        })).WaitAsync(TestOptions.Guard);
        var lost = outcomes.Count(o => o == "lost");
        output.WriteLine($"torn tail: {outcomes.Length} awaited, {lost} reported lost, {outcomes.Length - lost} completed");
        Assert.True(lost > 0, "truncating the AOF tail should lose the last enqueues");
        Assert.True(lost < 50, "the AOF before the tear should be loaded");

        // Only the newest enqueues are lost; every job whose record survived is whole: it ran to a result.
        Assert.All(outcomes.Take(n), o => Assert.Equal("result", o));
        Assert.Equal(handles.Count - lost, outcomes.Count(o => o == "result"));
    }
}
