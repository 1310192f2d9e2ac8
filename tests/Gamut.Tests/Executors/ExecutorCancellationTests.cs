using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Tests.Executors;

public sealed class ExecutorCancellationTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Kinds => InProcessExecutorTests.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_never_completes_is_cancelled_by_its_token_and_the_executor_stays_usable(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var job = executor.SubmitAsync(async ctx =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, cancellationToken: cts.Token);
        await started.Task.WaitAsync(HangGuard);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(5, await executor.SubmitAsync(() => 5));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_ignores_its_token_still_releases_its_caller_when_cancelled(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        using var cts = new CancellationTokenSource();
        var never = new TaskCompletionSource<int>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var job = executor.SubmitAsync(async _ =>
        {
            started.TrySetResult();
            return await never.Task;
        }, cancellationToken: cts.Token);
        await started.Task.WaitAsync(HangGuard);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        never.SetResult(1);
        Assert.Equal(0, executor.ActiveJobs);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_past_its_timeout_fails_with_a_timeout_error_naming_it(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);

        var error = await Assert.ThrowsAsync<JobTimeoutException>(() => executor.SubmitAsync(async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, new JobOptions { Timeout = TimeSpan.FromMilliseconds(50), Id = "slow-1" }).WaitAsync(HangGuard));

        Assert.Equal("slow-1", error.JobId);
        Assert.Equal(TimeSpan.FromMilliseconds(50), error.Timeout);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Cancel_all_stops_running_jobs_and_the_executor_takes_new_work(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = executor.SubmitAsync(async ctx =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        });
        await started.Task.WaitAsync(HangGuard);

        executor.CancelAll();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        Assert.Equal(7, await executor.SubmitAsync(() => 7));
    }

    [Fact]
    public async Task Cancel_all_drops_queued_jobs_before_they_start()
    {
        await using var executor = Gamut.Executors.Executors.Threads(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = 0;
        var blocker = executor.SubmitAsync(async _ =>
        {
            await gate.Task;
            return 0;
        });
        var queued = Enumerable.Range(0, 10).Select(_ => executor.SubmitAsync(() => Interlocked.Increment(ref ran))).ToList();
        Assert.Equal(10, executor.QueuedJobs);

        executor.CancelAll();
        gate.SetResult();

        foreach (var job in queued)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        }

        // The running job ignores its token; whether its caller sees the cancellation or the result depends on
        // whether its work finished before it was seen asynchronous (a race either outcome may win).
        try
        {
            Assert.Equal(0, await blocker.WaitAsync(HangGuard));
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Equal(0, ran);
        Assert.Equal(0, executor.QueuedJobs);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_drain_waits_for_accepted_jobs_and_refuses_new_ones(string kind)
    {
        var executor = InProcessExecutorTests.Create(kind);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = executor.SubmitAsync(async _ =>
        {
            await gate.Task;
            return 42;
        });

        var drain = executor.ShutdownAsync(ShutdownMode.Drain);
        await Assert.ThrowsAsync<ExecutorClosedException>(() => executor.SubmitAsync(() => 1));
        Assert.False(drain.IsCompleted);
        gate.SetResult();

        await drain.WaitAsync(HangGuard);
        Assert.Equal(42, await job);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_immediate_shutdown_cancels_what_runs(string kind)
    {
        var executor = InProcessExecutorTests.Create(kind);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = executor.SubmitAsync(async ctx =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        });
        await started.Task.WaitAsync(HangGuard);

        await executor.ShutdownAsync(ShutdownMode.Immediate).WaitAsync(HangGuard);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job);
        Assert.True(executor.IsShutdown);
    }

    [Fact]
    public async Task A_drain_that_is_given_up_on_becomes_an_immediate_stop()
    {
        var executor = Gamut.Executors.Executors.Threads(2);
        var job = executor.SubmitAsync(async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        });
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.ShutdownAsync(ShutdownMode.Drain, giveUp.Token));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        await executor.ShutdownAsync().WaitAsync(HangGuard);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_token_cancelled_before_submission_cancels_without_running(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.SubmitAsync(() => ran = true, cancellationToken: new CancellationToken(true)));

        Assert.False(ran);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_cancels_something_of_its_own_fails_rather_than_looking_cancelled(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => executor.SubmitAsync<int>(_ => throw new OperationCanceledException("inner")));

        Assert.Equal(typeof(OperationCanceledException).FullName, error.RemoteType);
    }

    [Fact]
    public async Task Cancel_all_reaches_a_job_waiting_for_its_next_attempt()
    {
        await using var executor = Gamut.Executors.Executors.Threads(2);
        var attempts = 0;
        var job = executor.SubmitAsync<int>(
            () =>
            {
                Interlocked.Increment(ref attempts);
                throw new IOException("flaky");
            },
            new JobOptions { Retry = RetryPolicy.Attempts(5) with { InitialDelay = TimeSpan.FromHours(1) } });
        await ThreadsExecutorTests.WaitUntil(() => Volatile.Read(ref attempts) == 1);

        executor.CancelAll();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        Assert.Equal(1, attempts);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public async Task A_timed_out_attempt_is_retried_only_when_the_policy_says_so(bool retryOnTimeout, int expectedAttempts)
    {
        await using var executor = Gamut.Executors.Executors.Threads(2);
        var attempts = 0;

        await Assert.ThrowsAsync<JobTimeoutException>(() => executor.SubmitAsync(async ctx =>
        {
            Interlocked.Increment(ref attempts);
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        }, new JobOptions
        {
            // Long enough that the attempt has started before its time runs out, even on a machine with two CPU hogs
            // (at 20 ms the timeout once fired before the thread pool ran the job: 0 attempts counted).
            Timeout = TimeSpan.FromMilliseconds(500),
            Retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.FromMilliseconds(1), RetryOnTimeout = retryOnTimeout },
        }).WaitAsync(HangGuard));

        Assert.Equal(expectedAttempts, attempts);
    }

    [Fact]
    public async Task An_immediate_shutdown_of_dedicated_threads_drops_what_waits_behind_a_blocking_job()
    {
        var executor = Gamut.Executors.Executors.DedicatedThreads(1);
        using var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocking = executor.SubmitAsync(() =>
        {
            started.TrySetResult();
            release.Wait(HangGuard);
            return 1;
        });
        await started.Task.WaitAsync(HangGuard);
        var waiting = Enumerable.Range(0, 5).Select(i => executor.SubmitAsync(() => i)).ToList();

        var shutdown = executor.ShutdownAsync(ShutdownMode.Immediate);
        foreach (var job in waiting)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(HangGuard));
        }

        release.Set();
        Assert.Equal(1, await blocking.WaitAsync(HangGuard));
        await shutdown.WaitAsync(HangGuard);
    }
}
