using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests;

/// <summary>RELIABILITY.md RQ-1, RQ-2 and RQ-6: real worker processes killed, crashed at named points, and paused.</summary>
public sealed class WorkerFaultTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    private static async Task EnqueueAsync(RedisExecutor client, ProducerLedger ledger, int count, int sleepMs)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(250))
        {
            await Task.WhenAll(chunk.Select(_ => ledger.EnqueueAsync(client, LedgerJob, sleepMs)));
        }
    }

    private static async Task<long> StatAsync(RedisServer server, string prefix, string field)
    {
        var v = await server.CliAsync("HGET", $"{prefix}:{{default}}:stats", field);
        return string.IsNullOrEmpty(v) ? 0 : long.Parse(v);
    }

    [Fact]
    public async Task RQ1_a_worker_kill_storm_loses_no_job_and_every_duplicate_is_accounted_for()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = "rq1";
        var dir = Wait.TempDir("rq1");
        var ledger = new ProducerLedger(dir);
        var n = Wait.Scale(2000, 10_000);
        var options = TestOptions.For(server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await EnqueueAsync(client, ledger, n, sleepMs: 10);

        var killed = new HashSet<int>();
        var workers = Enumerable.Range(0, 4).Select(_ => WorkerProcess.Start(server, prefix, "default", 4, dir)).ToList();
        var seed = ChaosSeed.Start(output, "RQ-1");
        var random = seed.Random;
        try
        {
            var kills = 0;
            var guard = DateTime.UtcNow + TimeSpan.FromMinutes(3); // a hang guard only: it decides no pass
            while (await StatAsync(server, prefix, "succeeded") < n)
            {
                Assert.True(DateTime.UtcNow < guard, $"not every job succeeded after {kills} kills: {await StatAsync(server, prefix, "succeeded")} of {n}");
                await Task.Delay(300);
                var ready = workers.Where(w => w.Ready.IsCompletedSuccessfully && !w.HasExited).ToList();
                if (ready.Count == 0 || kills >= Wait.Scale(20, 100))
                {
                    continue;
                }

                var victim = ready[random.Next(ready.Count)];
                victim.Kill();
                killed.Add(victim.Pid);
                kills++;
                workers.Remove(victim);
                victim.Dispose();
                workers.Add(WorkerProcess.Start(server, prefix, "default", 4, dir));
            }

            output.WriteLine($"kills={kills}");

            // The live workers reap what the dead ones held; then nothing may be left in flight.
            await Wait.UntilAsync(async () => await LedgerChecker.PendingAsync(options, "default") == 0, "in-flight lists drained");
            foreach (var w in workers)
            {
                await w.Ready.WaitAsync(TestOptions.Guard);
                w.Signal("TERM");
            }

            foreach (var w in workers)
            {
                await w.WaitForExitAsync().WaitAsync(TestOptions.Guard);
                Assert.True(w.ExitCode == 0, $"worker {w.Pid} exited with {w.ExitCode} after SIGTERM: {w.Stderr}");
            }

            var tally = await LedgerChecker.CheckAsync(options, "default", ledger, killed);
            TallyReport.Print(output, seed, "", tally, $"kills={kills}");
            Assert.Equal(n, tally.Acked);
            TallyReport.AssertClean(seed, tally);
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("after-take", 1, 0)]
    [InlineData("after-run", 1, 1)]
    [InlineData("after-complete", 0, 0)]
    public async Task RQ2_a_worker_that_dies_at_each_step_of_a_job_loses_nothing_and_duplicates_match_the_step(string point, int reaped, int duplicates)
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = "rq2";
        var dir = Wait.TempDir("rq2");
        var ledger = new ProducerLedger(dir);
        var n = Wait.Scale(200, 1000);
        var options = TestOptions.For(server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await EnqueueAsync(client, ledger, n, sleepMs: 0);
        var killed = new HashSet<int>();
        using var crashing = WorkerProcess.Start(server, prefix, "default", 1, dir, crashPoint: $"{point}:20");
        killed.Add(crashing.Pid);
        await crashing.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        Assert.Equal(137, crashing.ExitCode);
        Assert.Contains(point, crashing.Stderr);

        using var survivor = WorkerProcess.Start(server, prefix, "default", 4, dir);
        await Wait.UntilAsync(async () => await StatAsync(server, prefix, "succeeded") == n, "every job succeeded");
        await Wait.UntilAsync(async () => await LedgerChecker.PendingAsync(options, "default") == 0, "in-flight lists drained");
        survivor.Signal("TERM");
        await survivor.WaitForExitAsync().WaitAsync(TestOptions.Guard);

        var tally = await LedgerChecker.CheckAsync(options, "default", ledger, killed);
        var seed = ChaosSeed.Start(output, "RQ-2");
        TallyReport.Print(output, seed, point, tally);
        TallyReport.AssertClean(seed, tally);
        Assert.Equal(n, tally.Executed - tally.Duplicates);
        Assert.Equal(duplicates, tally.Duplicates);
        Assert.Equal(0, tally.ReportedDuplicates);
        Assert.Equal(duplicates, tally.UnobservedOnKilled);
        Assert.Equal(reaped, await StatAsync(server, prefix, "reaped"));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task RQ6_a_paused_worker_past_its_lease_has_its_late_result_rejected_by_the_fencing_token_and_counted()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = "rq6";
        var dir = Wait.TempDir("rq6");
        var ledger = new ProducerLedger(dir);
        var options = TestOptions.For(server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.True(await ledger.EnqueueAsync(client, LedgerJob, 1500));
        var handle = new JobHandle("default", ledger.Acked.Single());

        using var paused = WorkerProcess.Start(server, prefix, "default", 1, dir);
        var pausedId = await paused.Ready.WaitAsync(TestOptions.Guard);
        await Wait.UntilAsync(async () => (await client.GetStatusAsync(handle)).Worker == pausedId, "the first worker took the job");
        paused.Signal("STOP");
        try
        {
            using var other = WorkerProcess.Start(server, prefix, "default", 1, dir);
            var otherId = await other.Ready.WaitAsync(TestOptions.Guard);
            await Wait.UntilAsync(async () => (await client.GetStatusAsync(handle)).Deliveries == 2, "the job was reaped and handed to the other worker");
            paused.Signal("CONT");
            Assert.Equal(1500, await client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
            await Wait.UntilAsync(async () => await StatAsync(server, prefix, "duplicates") == 1, "the paused worker's late result was rejected");

            var status = await client.GetStatusAsync(handle);
            Assert.Equal(otherId, status.Worker);
            Assert.Equal(2, status.Deliveries);
            Assert.Equal("0", await server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{otherId}"));
            Assert.Equal("0", await server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{pausedId}"));
            var tally = await LedgerChecker.CheckAsync(options, "default", ledger);
            var seed = ChaosSeed.Start(output, "RQ-6");
            TallyReport.Print(output, seed, "", tally);
            TallyReport.AssertClean(seed, tally, requireAllObserved: true);
            Assert.Equal(1, tally.Duplicates);
            Assert.Equal(1, tally.ReportedDuplicates);
            Assert.Equal(1, tally.ObservedDuplicates);
            Assert.Equal(0, tally.Lost);
            Assert.Equal(0, tally.WinnerMismatch);
        }
        finally
        {
            paused.Signal("CONT");
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_job_that_kills_every_worker_that_runs_it_is_dead_lettered_after_a_bounded_number_of_deaths()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = "poison";
        var options = TestOptions.For(server, prefix);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var poison = await client.EnqueueAsync(JobRef.To<Jobs.CrashJob, int, int>(), 3);
        var deaths = 0;
        var dead = false;
        while (!dead)
        {
            Assert.True(deaths < 10, "the poison job was never dead-lettered");

            // Each new worker first reaps its dead predecessor's job, then takes it and dies too; the worker that
            // reaps it for the third time dead-letters it instead, and lives.
            using var worker = WorkerProcess.Start(server, prefix, "default", 1, null);
            await Wait.UntilAsync(async () => worker.HasExited || (await client.GetStatusAsync(poison)).State == RedisJobState.Dead, "a death or the dead letter");
            dead = (await client.GetStatusAsync(poison)).State == RedisJobState.Dead;
            if (worker.HasExited)
            {
                Assert.Equal(3, worker.ExitCode);
                deaths++;
            }
        }

        // MaxLostDeliveries is 2 in the worker processes: the third death dead-letters it.
        Assert.Equal(3, deaths);
        var error = await Assert.ThrowsAsync<JobDeadLetteredException>(() => client.WaitAsync<int>(poison).WaitAsync(TestOptions.Guard));
        Assert.Equal("worker-died", error.Reason);
        var entry = await server.CliAsync("LINDEX", $"{prefix}:{{default}}:dead", "0");
        Assert.Contains("worker-died", entry);
        Assert.Contains(poison.Id, entry);
    }
}
