using BenchmarkDotNet.Attributes;
using Gamut.Loop;

namespace Gamut.Bench;

/// <summary>
/// The event loop's own costs: trivial callbacks posted from another thread and from the loop itself, and timers
/// scheduled and fired. One operation is one callback or one timer (scheduled and fired).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 12)]
public class LoopBenchmarks
{
    private const int Callbacks = 100_000;
    private const int Timers = 100_000;
    private EventLoop _loop = null!;
    private int _count;

    [GlobalSetup]
    public void Setup() => _loop = new EventLoop(new EventLoopOptions { BlockedThreshold = null });

    [GlobalCleanup]
    public async Task Cleanup() => await _loop.DisposeAsync();

    [Benchmark(OperationsPerInvoke = Callbacks, Description = "post from another thread")]
    public Task PostFromAnotherThread()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _count = 0;
        Action<object?> tick = static s => ((LoopBenchmarks)s!)._count++;
        for (var i = 0; i < Callbacks - 1; i++)
        {
            _loop.Post(tick, this);
        }

        _loop.Post(static s => ((TaskCompletionSource)s!).SetResult(), done);
        return done.Task;
    }

    [Benchmark(OperationsPerInvoke = Callbacks, Description = "post from the loop (chain)")]
    public Task PostFromTheLoop()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _count = 0;
        _loop.Post(static s => Chain((State)s!), new State(this, done));
        return done.Task;

        static void Chain(State state)
        {
            if (++state.Owner._count == Callbacks)
            {
                state.Done.SetResult();
                return;
            }

            state.Owner._loop.Post(static s => Chain((State)s!), state);
        }
    }

    [Benchmark(OperationsPerInvoke = Timers, Description = "timers: schedule 100k over 1 ms, all fire")]
    public Task TimersScheduledAndFired()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(static s =>
        {
            var (owner, done) = ((LoopBenchmarks, TaskCompletionSource))s!;
            owner._count = 0;
            var tick = () =>
            {
                if (++owner._count == Timers)
                {
                    done.SetResult();
                }
            };
            for (var i = 0; i < Timers; i++)
            {
                // Delays spread over 0 to 1 ms, as a server's many connection timeouts are.
                owner._loop.CallLater(TimeSpan.FromTicks(i % 10_000), tick);
            }
        }, (this, done));
        return done.Task;
    }

    [Benchmark(OperationsPerInvoke = Timers, Description = "timers: schedule and cancel 100k")]
    public Task TimersScheduledAndCancelled()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(static s =>
        {
            var (owner, done) = ((LoopBenchmarks, TaskCompletionSource))s!;
            var noop = () => { };
            for (var i = 0; i < Timers; i++)
            {
                owner._loop.CallLater(TimeSpan.FromSeconds(30 + (i % 1000)), noop).Cancel();
            }

            done.SetResult();
        }, (this, done));
        return done.Task;
    }

    private sealed record State(LoopBenchmarks Owner, TaskCompletionSource Done);
}
