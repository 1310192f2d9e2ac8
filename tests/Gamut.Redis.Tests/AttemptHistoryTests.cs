using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>
/// The attempt history (docs/redis-protocol.md section 4.3): every attempt of a job, recorded by the script that
/// ended it, read back by <see cref="RedisAdmin.GetJobAsync"/> newest first.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class AttemptHistoryTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Flaky = JobRef.Named<int, int>("test.flaky");
    private static readonly JobRef<string, int> Fail = JobRef.Named<string, int>("test.fail");
    private static readonly JobRef<int, int> Sleep = JobRef.Named<int, int>("test.sleep");

    private static Task<RedisWorker> WorkerAsync(RedisOptions options, TimeSpan? shutdownTimeout = null) =>
        RedisWorker.StartAsync(options, new RedisWorkerOptions
        {
            Registry = TestOptions.Registry(),
            Queues = ["default"],
            Concurrency = 1,
            ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30),
        });

    [Fact]
    public async Task A_job_that_fails_twice_then_succeeds_shows_three_attempts_with_their_outcomes_worker_and_errors()
    {
        var options = TestOptions.For(redis.Server);
        await using var worker = await WorkerAsync(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.FromMilliseconds(10) };
        var job = await client.EnqueueAsync(Flaky, 3, new JobOptions { Retry = retry });
        Assert.Equal(3, await client.WaitAsync<int>(job).WaitAsync(TestOptions.Guard));

        var record = await admin.GetJobAsync(job);
        Assert.NotNull(record);
        Assert.Equal([3L, 2L, 1L], record.Attempts.Select(a => a.Number));
        Assert.Equal(["ok", "retry", "retry"], record.Attempts.Select(a => a.Outcome));
        foreach (var a in record.Attempts)
        {
            Assert.Equal(worker.Id, a.Worker);
            Assert.Equal(Environment.MachineName, a.Host);
            Assert.Equal(Environment.ProcessId, a.Pid);
            Assert.NotNull(a.StartedAt);
            Assert.NotNull(a.FinishedAt);
            Assert.True(a.StartedAt <= a.FinishedAt, $"attempt {a.Number} ended before it started");
        }

        Assert.Null(record.Attempts[0].Error);
        for (var n = 1; n <= 2; n++)
        {
            var error = record.Attempts[3 - n].Error;
            Assert.NotNull(error);
            Assert.Equal(typeof(InvalidOperationException).FullName, error.Type);
            Assert.Equal($"attempt {n}", error.Message);
            Assert.Contains(nameof(Jobs.FlakyJob), error.StackTrace);
        }

        // Each attempt ended after the one before it started again.
        Assert.True(record.Attempts[2].FinishedAt <= record.Attempts[1].StartedAt);
        Assert.True(record.Attempts[1].FinishedAt <= record.Attempts[0].StartedAt);
    }

    [Fact]
    public async Task A_worker_killed_with_sigkill_leaves_its_attempt_as_lost_with_its_pid_and_the_next_one_handed_back_at_shutdown()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var job = await client.EnqueueAsync(Sleep, 600_000);

        // A real worker process takes the job; it is killed (SIGKILL) while running it.
        using var victim = WorkerProcess.Start(redis.Server, options.KeyPrefix, "default", 1, null);
        var victimId = await victim.Ready.WaitAsync(TestOptions.Guard);
        await Wait.UntilAsync(async () => (await admin.GetJobAsync(job))?.Worker == victimId, "the worker process runs the job", TestOptions.Guard);
        var running = Assert.Single((await admin.GetJobAsync(job))!.Attempts);
        Assert.Equal(("running", 1L, victim.Pid), (running.Outcome, running.Number, running.Pid));
        victim.Kill();
        await victim.WaitForExitAsync().WaitAsync(TestOptions.Guard);

        // Another worker reaps it and runs the job again (attempt 2); at its shutdown it hands the job back.
        var second = await WorkerAsync(options, TimeSpan.FromMilliseconds(200));
        JobRecord? record = null;
        await using (second)
        {
            await Wait.UntilAsync(async () => (record = await admin.GetJobAsync(job))?.Attempts is [{ Outcome: "running", Number: 2 }, ..], "the second attempt runs", TestOptions.Guard);
        }

        var lost = record!.Attempts[1];
        Assert.Equal(("lost", 1L, victimId, (long?)victim.Pid, Environment.MachineName), (lost.Outcome, lost.Number, lost.Worker, lost.Pid, lost.Host));
        Assert.Equal("Gamut.Redis.WorkerLost", lost.Error?.Type);
        Assert.Contains(victimId, lost.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("reaped", lost.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(lost.StartedAt);
        Assert.NotNull(lost.FinishedAt);

        record = await admin.GetJobAsync(job);
        Assert.Equal("queued", record!.State);
        Assert.Equal(["back", "lost"], record.Attempts.Select(a => a.Outcome));
        Assert.Equal((2L, second.Id, (long?)Environment.ProcessId), (record.Attempts[0].Number, record.Attempts[0].Worker, record.Attempts[0].Pid));
        await admin.CancelAsync(job);
    }

    [Fact]
    public async Task The_history_keeps_the_newest_twenty_attempts_and_cuts_a_long_message_on_a_utf8_boundary()
    {
        var options = TestOptions.For(redis.Server);
        await using var worker = await WorkerAsync(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var retry = RetryPolicy.Attempts(25) with { InitialDelay = TimeSpan.FromMilliseconds(1), Multiplier = 1, Jitter = 0 };

        // 1 + 3000 × 2 bytes: the 4,096-byte cut falls inside an 'é', so the entry keeps 4,095 bytes.
        var message = "x" + new string('é', 3000);
        var job = await client.EnqueueAsync(Fail, message, new JobOptions { Retry = retry });
        var failure = await Assert.ThrowsAsync<JobFailedException>(() => client.WaitAsync<int>(job).WaitAsync(TestOptions.Guard));
        Assert.Equal(message, failure.Error.Message);

        var fields = (await redis.Server.CliAsync("HKEYS", $"{options.KeyPrefix}:{{default}}:job:{job.Id}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => f.StartsWith("h:", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, fields.Count);

        // The newest 20: the last (failed) attempt is the record itself, with its whole error; then retries 24 to 6.
        var record = await admin.GetJobAsync(job);
        Assert.Equal(Enumerable.Range(6, 20).Reverse().Select(n => (long)n), record!.Attempts.Select(a => a.Number));
        Assert.Equal("failed", record.Attempts[0].Outcome);
        Assert.Equal(message, record.Attempts[0].Error?.Message);
        Assert.All(record.Attempts.Skip(1), a => Assert.Equal("retry", a.Outcome));
        Assert.All(record.Attempts.Skip(1), a => Assert.Equal("x" + new string('é', 2047), a.Error?.Message));
    }

    [Fact]
    public async Task A_job_retried_by_hand_keeps_its_failed_attempt_in_the_history_beside_the_new_one()
    {
        var options = TestOptions.For(redis.Server);
        await using var worker = await WorkerAsync(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var job = await client.EnqueueAsync(Fail, "first run", new JobOptions { Retry = RetryPolicy.None });
        await Assert.ThrowsAsync<JobFailedException>(() => client.WaitAsync<int>(job).WaitAsync(TestOptions.Guard));
        var failed = Assert.Single((await admin.GetJobAsync(job))!.Attempts);
        Assert.Equal(("failed", 1L, "first run"), (failed.Outcome, failed.Number, failed.Error?.Message));

        Assert.Equal(AdminOutcome.Done, await admin.RetryAsync(job));
        JobRecord? record = null;
        await Wait.UntilAsync(async () => (record = await admin.GetJobAsync(job)) is { State: "failed", Deliveries: 2 }, "the job failed again", TestOptions.Guard);
        Assert.Equal([("failed", 2L), ("failed", 1L)], record!.Attempts.Select(a => (a.Outcome, a.Number)));
        var first = record.Attempts[1];
        Assert.Equal(("first run", worker.Id, failed.StartedAt, failed.FinishedAt), (first.Error?.Message, first.Worker, first.StartedAt, first.FinishedAt));
    }

    [Fact]
    public async Task A_record_written_without_history_still_reads_with_its_last_attempt_from_its_own_fields()
    {
        var options = TestOptions.For(redis.Server);
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var key = $"{options.KeyPrefix}:{{default}}:job:";

        // As an older version wrote it: the last attempt's data only.
        await redis.Server.CliAsync("HSET", key + "old1", "n", "test.fail", "p", "\"x\"", "c", "1000", "s", "failed", "a", "2", "fl", "2", "m", "2",
            "w", "w-old", "st", "1500", "fin", "2000", "e", "{\"type\":\"System.Exception\",\"message\":\"old failure\"}");
        var old = await admin.GetJobAsync(new JobHandle("default", "old1"));
        Assert.NotNull(old);
        Assert.Equal(("failed", 2, "w-old", "old failure"), (old.State, old.Deliveries, old.Worker, old.Error?.Message));
        var last = Assert.Single(old.Attempts);
        Assert.Equal(("failed", 2L, "w-old", "old failure"), (last.Outcome, last.Number, last.Worker, last.Error?.Message));
        Assert.Equal((1500L, 2000L), (last.StartedAt?.ToUnixTimeMilliseconds(), last.FinishedAt?.ToUnixTimeMilliseconds()));
        Assert.Null(last.Host);

        // A job that ran before the upgrade and after: attempt 1 has no entry, a damaged entry (2) reads as text.
        await redis.Server.CliAsync("HSET", key + "old2", "n", "test.fail", "c", "1000", "s", "succeeded", "a", "3", "w", "w-new", "st", "2500", "fin", "3000",
            "h:2", "not json <b>");
        var mixed = await admin.GetJobAsync(new JobHandle("default", "old2"));
        Assert.Equal([3L, 2L], mixed!.Attempts.Select(a => a.Number));
        Assert.Equal(("ok", "w-new", (long?)2500), (mixed.Attempts[0].Outcome, mixed.Attempts[0].Worker, mixed.Attempts[0].StartedAt?.ToUnixTimeMilliseconds()));
        Assert.Null(mixed.Attempts[0].Host);
        Assert.Equal(("unknown", "not json <b>"), (mixed.Attempts[1].Outcome, mixed.Attempts[1].Error?.Message));
    }
}
