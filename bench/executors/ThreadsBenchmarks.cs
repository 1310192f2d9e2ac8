using BenchmarkDotNet.Attributes;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Bench;

/// <summary>
/// Per-job overhead of the Threads executor against raw <c>Task.Run</c> + <c>await</c>, for trivial jobs, measured
/// side by side: one at a time (latency of a round trip through the pool) and 1,000 in flight (throughput).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 12)]
public class ThreadsBenchmarks
{
    private const int Sequential = 1_000;
    private const int Batch = 1_000;
    private readonly Task<int>[] _tasks = new Task<int>[Batch];
    private ThreadsExecutor _threads = null!;
    private ThreadsExecutor _unbounded = null!;
    private JobRef<int, int> _square;

    [GlobalSetup]
    public void Setup()
    {
        var registry = new JobRegistry().Add<Square, int, int>("bench.square");
        _threads = new ThreadsExecutor(new ThreadsExecutorOptions { Registry = registry });
        _unbounded = new ThreadsExecutor(new ThreadsExecutorOptions { MaxConcurrency = 1 << 20, Registry = registry });
        _square = JobRef.Named<int, int>("bench.square");
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _threads.DisposeAsync();
        await _unbounded.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Sequential, Description = "Task.Run+await, one at a time")]
    public async Task<int> TaskRunSequential()
    {
        var sum = 0;
        for (var i = 0; i < Sequential; i++)
        {
            sum += await Task.Run(static () => 1);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Sequential, Description = "Threads delegate, one at a time")]
    public async Task<int> ThreadsDelegateSequential()
    {
        var sum = 0;
        for (var i = 0; i < Sequential; i++)
        {
            sum += await _threads.SubmitAsync(static _ => ValueTask.FromResult(1));
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Sequential, Description = "Threads registered job, one at a time")]
    public async Task<int> ThreadsJobSequential()
    {
        var sum = 0;
        for (var i = 0; i < Sequential; i++)
        {
            sum += await _threads.SubmitAsync(_square, i);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Task.Run x1000, then await all")]
    public async Task<int> TaskRunBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _tasks[i] = Task.Run(static () => 1);
        }

        return (await Task.WhenAll(_tasks)).Length;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Threads (cores) x1000, then await all")]
    public async Task<int> ThreadsBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _tasks[i] = _threads.SubmitAsync(static _ => ValueTask.FromResult(1));
        }

        return (await Task.WhenAll(_tasks)).Length;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Threads (no bound) x1000, then await all")]
    public async Task<int> ThreadsUnboundedBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _tasks[i] = _unbounded.SubmitAsync(static _ => ValueTask.FromResult(1));
        }

        return (await Task.WhenAll(_tasks)).Length;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Threads map x1000, in order")]
    public async Task<int> ThreadsMap()
    {
        var n = 0;
        await foreach (var outcome in _threads.MapAsync(_square, Enumerable.Range(0, Batch)))
        {
            n += outcome.IsSuccess ? 1 : 0;
        }

        return n;
    }

    public sealed class Square : IJob<int, int>
    {
        public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
    }
}
