using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

[Collection(SharedRedisCollection.Name)]
public sealed class ExecutorTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    private static readonly JobRef<string, int> Fail = JobRef.To<FailJob, string, int>();
    private static readonly JobRef<int, int> Flaky = JobRef.To<FlakyJob, int, int>();
    private static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();

    private async Task<(RedisExecutor Client, RedisWorker Worker)> StartAsync(RedisOptions? options = null, int concurrency = 4)
    {
        options ??= TestOptions.For(redis.Server);
        var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = concurrency });
        var client = await RedisExecutor.ConnectAsync(options);
        return (client, worker);
    }

    [Fact]
    public async Task A_submitted_job_runs_on_a_worker_and_its_result_comes_back()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            Assert.Equal(49, await client.SubmitAsync(Square, 7).WaitAsync(TestOptions.Guard));
            await Wait.UntilAsync(() => Task.FromResult(worker.Counters.Succeeded == 1), "the worker counted its success");
        }
    }

    [Fact]
    public async Task A_drain_waits_for_submitted_jobs_and_refuses_new_ones_and_an_immediate_shutdown_ends_the_waits()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            // Admitted before the close: the drain waits for its result.
            var id = "drain-" + Guid.NewGuid().ToString("N");
            var admitted = client.SubmitAsync(Sleep, 200, new JobOptions { Id = id });
            var drain = client.ShutdownAsync(ShutdownMode.Drain);
            await Assert.ThrowsAsync<ExecutorClosedException>(() => client.SubmitAsync(Square, 2));
            await drain.WaitAsync(TestOptions.Guard);

            // The drain ended after the result came back: the record says so (a drain that did not wait would find
            // the 200 ms job still queued or running).
            Assert.Equal(RedisJobState.Succeeded, (await client.GetStatusAsync(new JobHandle(client.DefaultQueue, id))).State);
            Assert.Equal(200, await admitted.WaitAsync(TestOptions.Guard));
        }

        (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            // A job that would run for a minute: an immediate shutdown ends its wait at once (the job is cancelled).
            var slow = client.SubmitAsync(Sleep, 60_000);
            await client.ShutdownAsync(ShutdownMode.Immediate).WaitAsync(TestOptions.Guard);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow.WaitAsync(TestOptions.Guard));
            await Assert.ThrowsAsync<ExecutorClosedException>(() => client.SubmitAsync(Square, 2));
        }
    }

    [Fact]
    public async Task A_job_that_throws_fails_with_the_original_type_and_message()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var error = await Assert.ThrowsAsync<JobFailedException>(() => client.SubmitAsync(Fail, "boom").WaitAsync(TestOptions.Guard));
            Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
            Assert.Equal("boom", error.Error.Message);
            Assert.Contains(nameof(FailJob), error.RemoteStackTrace);
            Assert.Equal(4, await client.SubmitAsync(Square, 2).WaitAsync(TestOptions.Guard));
        }
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_with_backoff_until_it_succeeds_within_max_attempts()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.FromMilliseconds(20) };
            Assert.Equal(3, await client.SubmitAsync(Flaky, 3, new JobOptions { Retry = retry }).WaitAsync(TestOptions.Guard));
            var error = await Assert.ThrowsAsync<JobFailedException>(() => client.SubmitAsync(Flaky, 5, new JobOptions { Retry = retry }).WaitAsync(TestOptions.Guard));
            Assert.Contains("attempt 3", error.Error.Message);
            await Wait.UntilAsync(() => Task.FromResult(worker.Counters.Retried == 4), "four retries counted");
        }
    }

    [Fact]
    public async Task An_unregistered_job_name_is_dead_lettered_with_its_reason_and_the_worker_keeps_working()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var error = await Assert.ThrowsAsync<JobDeadLetteredException>(() =>
                client.SubmitAsync(JobRef.Named<int, int>("System.Diagnostics.Process"), 1).WaitAsync(TestOptions.Guard));
            Assert.Equal("unknown-job", error.Reason);
            Assert.Equal(9, await client.SubmitAsync(Square, 3).WaitAsync(TestOptions.Guard));
        }
    }

    [Fact]
    public async Task Enqueue_is_idempotent_on_the_job_id_so_a_retried_enqueue_makes_no_second_job()
    {
        var options = TestOptions.For(redis.Server);
        var (client, worker) = await StartAsync(options);
        await using (worker)
        await using (client)
        {
            var id = JobIds.New();
            var first = client.SubmitAsync(Square, 5, new JobOptions { Id = id });
            var second = client.SubmitAsync(Square, 5, new JobOptions { Id = id });
            var both = await Task.WhenAll(first, second).WaitAsync(TestOptions.Guard);
            Assert.Equal(new[] { 25, 25 }, both);
            Assert.Equal("1", await redis.Server.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:stats", "enqueued"));
            await Wait.UntilAsync(() => Task.FromResult(worker.Counters.Succeeded == 1), "one success counted");
        }
    }

    [Fact]
    public async Task A_queued_job_can_be_cancelled_and_never_runs()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var handle = await client.EnqueueAsync(Square, 4);
        Assert.Equal(CancelOutcome.Cancelled, await client.CancelAsync(handle));
        Assert.Equal(RedisJobState.Cancelled, (await client.GetStatusAsync(handle)).State);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        Assert.Equal(4, await client.SubmitAsync(Square, 2).WaitAsync(TestOptions.Guard));
        await Assert.ThrowsAsync<OperationCanceledException>(() => client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
        await Wait.UntilAsync(() => Task.FromResult(worker.Counters.Succeeded == 1), "one success counted");
    }

    [Fact]
    public async Task A_running_job_is_cancelled_through_its_worker_and_its_waiter_gets_a_cancellation()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var handle = await client.EnqueueAsync(Sleep, 60_000);
            while ((await client.GetStatusAsync(handle)).State != RedisJobState.Running)
            {
                await Task.Delay(20);
            }

            Assert.Equal(CancelOutcome.Cancelling, await client.CancelAsync(handle));
            await Assert.ThrowsAsync<OperationCanceledException>(() => client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
            Assert.Equal(RedisJobState.Cancelled, (await client.GetStatusAsync(handle)).State);
        }
    }

    [Fact]
    public async Task Cancelling_the_token_of_a_submit_cancels_the_remote_job()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            using var cts = new CancellationTokenSource();
            var id = JobIds.New();
            var task = client.SubmitAsync(Sleep, 60_000, new JobOptions { Id = id }, cts.Token);
            var handle = new JobHandle("default", id);
            while ((await client.GetStatusAsync(handle)).State != RedisJobState.Running)
            {
                await Task.Delay(20);
            }

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TestOptions.Guard));
            while ((await client.GetStatusAsync(handle)).State == RedisJobState.Running)
            {
                await Task.Delay(20);
            }

            Assert.Equal(RedisJobState.Cancelled, (await client.GetStatusAsync(handle)).State);
        }
    }

    [Fact]
    public async Task A_job_past_its_timeout_fails_with_a_timeout_error()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var error = await Assert.ThrowsAsync<JobTimeoutException>(() =>
                client.SubmitAsync(Sleep, 60_000, new JobOptions { Timeout = TimeSpan.FromMilliseconds(200) }).WaitAsync(TestOptions.Guard));
            Assert.Contains("timed out", error.Message);
        }
    }

    [Fact]
    public async Task A_job_that_ignores_its_token_past_its_timeout_fails_as_timed_out_and_frees_its_slot()
    {
        var (client, worker) = await StartAsync(concurrency: 1);
        await using (worker)
        await using (client)
        {
            var error = await Assert.ThrowsAsync<JobTimeoutException>(() =>
                client.SubmitAsync(JobRef.To<StubbornJob, int, int>(), 30_000, new JobOptions { Timeout = TimeSpan.FromMilliseconds(200) }).WaitAsync(TestOptions.Guard));
            Assert.Contains("timed out", error.Message);

            // The stubborn job still sleeps on its thread for half a minute; the next job must not wait behind it.
            Assert.Equal(25, await client.SubmitAsync(Square, 5).WaitAsync(TimeSpan.FromSeconds(20)));
        }
    }

    [Fact]
    public async Task A_delayed_job_waits_in_the_schedule_then_runs()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var handle = await client.EnqueueAsync(Square, 6, new JobOptions { Delay = TimeSpan.FromMilliseconds(600) });
            var state = (await client.GetStatusAsync(handle)).State;
            Assert.True(state is RedisJobState.Delayed or RedisJobState.Running or RedisJobState.Succeeded);
            Assert.Equal(36, await client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
            var scheduled = await client.ScheduleAsync(Square, 7, DateTimeOffset.UtcNow.AddMilliseconds(400));
            Assert.Equal(49, await client.WaitAsync<int>(scheduled).WaitAsync(TestOptions.Guard));
            Assert.True((await client.GetStatusAsync(scheduled)).StartedAt >= (await client.GetStatusAsync(scheduled)).CreatedAt);
        }
    }

    [Fact]
    public async Task Map_returns_every_result_in_input_order()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var results = new List<int>();
            await foreach (var outcome in client.MapAsync(Square, Enumerable.Range(0, 500), new MapOptions { MaxInFlight = 64 }))
            {
                results.Add(outcome.Value);
            }

            Assert.Equal(Enumerable.Range(0, 500).Select(i => i * i), results);
        }
    }

    [Fact]
    public async Task Batched_enqueue_puts_every_job_on_the_queue_and_each_result_can_be_awaited()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var handles = await client.EnqueueManyAsync(Square, Enumerable.Range(0, 1200));
            Assert.Equal(1200, handles.Select(h => h.Id).Distinct().Count());
            var results = await Task.WhenAll(handles.Select(h => client.WaitAsync<int>(h))).WaitAsync(TestOptions.Guard);
            Assert.Equal(Enumerable.Range(0, 1200).Select(i => i * i), results);
        }
    }

    [Fact]
    public async Task Progress_reports_reach_the_waiting_client()
    {
        var (client, worker) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var reports = new List<string>();
            client.ProgressReported += (_, json) => { lock (reports) { reports.Add(json); } };
            Assert.Equal(3, await client.SubmitAsync(JobRef.To<ProgressJob, int, int>(), 3).WaitAsync(TestOptions.Guard));
            lock (reports)
            {
                Assert.NotEmpty(reports);
                Assert.Contains(reports, r => r.Contains("step", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task A_finished_job_leaves_no_key_behind_after_its_result_ttl()
    {
        var options = TestOptions.For(redis.Server).WithResultTtl(TimeSpan.FromMilliseconds(300));
        var (client, worker) = await StartAsync(options);
        await using (worker)
        await using (client)
        {
            var handle = await client.EnqueueAsync(Square, 3);
            Assert.Equal(9, await client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
            var key = $"{options.KeyPrefix}:{{default}}:job:{handle.Id}";
            for (var i = 0; i < 200 && await redis.Server.CliAsync("EXISTS", key) == "1"; i++)
            {
                await Task.Delay(50);
            }

            Assert.Equal("0", await redis.Server.CliAsync("EXISTS", key));
            Assert.Equal("0", await redis.Server.CliAsync("LLEN", $"{options.KeyPrefix}:{{default}}:active:{worker.Id}"));
        }
    }
}
