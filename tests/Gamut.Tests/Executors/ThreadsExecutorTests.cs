using Gamut.Executors;

namespace Gamut.Tests.Executors;

public sealed class ThreadsExecutorTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_more_than_the_concurrency_limit_run_at_once_and_the_limit_is_reached(bool dedicated)
    {
        await using var executor = new ThreadsExecutor(new ThreadsExecutorOptions { MaxConcurrency = 3, DedicatedThreads = dedicated });
        var gate = new ManualResetEventSlim();
        var running = 0;
        var peak = 0;
        var jobs = Enumerable.Range(0, 12).Select(_ => executor.SubmitAsync(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            gate.Wait(HangGuard);
            Interlocked.Decrement(ref running);
            return now;
        })).ToList();

        await WaitUntil(() => Volatile.Read(ref running) == 3);
        await Task.Delay(50);
        Assert.Equal(3, Volatile.Read(ref running));
        Assert.Equal(9, executor.QueuedJobs);
        gate.Set();

        await Task.WhenAll(jobs).WaitAsync(HangGuard);
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task An_async_job_holds_its_slot_until_it_ends()
    {
        await using var executor = Gamut.Executors.Executors.Threads(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = executor.SubmitAsync(async _ =>
        {
            await gate.Task;
            return 1;
        });
        var second = executor.SubmitAsync(() => 2);

        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        gate.SetResult();

        var results = await Task.WhenAll(first, second).WaitAsync(HangGuard);
        Assert.Equal([1, 2], results);
    }

    [Fact]
    public async Task Dedicated_threads_run_jobs_on_threads_of_their_own()
    {
        await using var executor = Gamut.Executors.Executors.DedicatedThreads(2);

        var names = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => executor.SubmitAsync(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread))));

        Assert.All(names, n => Assert.StartsWith("gamut-threads-", n.Name));
        Assert.All(names, n => Assert.False(n.IsThreadPoolThread));
    }

    [Fact]
    public async Task A_caller_that_waits_synchronously_in_its_continuation_does_not_starve_a_one_slot_executor()
    {
        await using var executor = Gamut.Executors.Executors.Threads(1);

        var result = await Task.Run(async () =>
        {
            await executor.SubmitAsync(() => 1);

            // The continuation may run on the thread that finished the job; its slot is free by then.
            return executor.SubmitAsync(() => 2).GetAwaiter().GetResult();
        }).WaitAsync(HangGuard);

        Assert.Equal(2, result);
    }

    [Fact]
    public async Task Many_jobs_from_many_threads_all_complete_exactly_once()
    {
        await using var executor = Gamut.Executors.Executors.Threads(4);
        var count = 0;

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var sum = 0L;
            for (var i = 0; i < 5_000; i++)
            {
                sum += await executor.SubmitAsync(() => Interlocked.Increment(ref count) > 0 ? 1 : 0);
            }

            return sum;
        }))).WaitAsync(HangGuard);

        Assert.Equal(40_000, all.Sum());
        Assert.Equal(40_000, count);
        Assert.Equal(0, executor.ActiveJobs);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(5);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Volatile.Read(ref target);
        }
    }
}
