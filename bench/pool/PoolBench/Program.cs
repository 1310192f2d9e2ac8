using System.Diagnostics;
using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

// One figure a line, in the same shape as the Python peer's output: "name value".
// Usage: PoolBench [all|start|pool|queue] ; BENCH_ONLY=<figure name prefix> runs only that pool figure (repeatedly
// with BENCH_REPEAT=n, for profiling).
var registry = new JobRegistry().AddAssembly(typeof(Square).Assembly);
var square = JobRef.To<Square, int, int>();
var what = args.Length > 0 ? args[0] : "all";
var only = Environment.GetEnvironmentVariable("BENCH_ONLY");
var workerEnv = Environment.GetEnvironmentVariable("BENCH_WORKER_ENV")?.Split(';').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]);
var repeat = int.TryParse(Environment.GetEnvironmentVariable("BENCH_REPEAT"), out var r) ? r : 1;
bool Wanted(string name) => only is null || name.StartsWith(only, StringComparison.Ordinal);

if (what is "all" or "start")
{
    var sw = Stopwatch.StartNew();
    await using (var pool = Executors.Processes(new ProcessPoolOptions { Registry = registry, Workers = 2, Environment = workerEnv }))
    {
        await pool.SubmitAsync(square, 1);
        Print("pool_start_first_result_ms", sw.Elapsed.TotalMilliseconds);
    }
}

if (what is "all" or "pool")
{
    await using var pool = Executors.Processes(new ProcessPoolOptions
    {
        Registry = registry,
        Workers = 2,
        Environment = workerEnv,
    });
    await pool.SubmitAsync(square, 1);
    while (pool.ReadyWorkers < 2)
    {
        await Task.Delay(5);
    }

    if (only is null)
    {
        // The first map on a fresh pool (its code not yet compiled optimized, in the parent and in the workers),
        // then about half a second of maps for the JIT to settle before the steady-state figures.
        var cpu0 = Cpu(pool);
        var first = Stopwatch.StartNew();
        await Map(pool, 200_000, 1000);
        Print("pool_map_chunk1000_first items_per_s", 200_000 / first.Elapsed.TotalSeconds);
        if (Environment.GetEnvironmentVariable("BENCH_CPU") == "1")
        {
            var cpu1 = Cpu(pool);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cpu ms: parent {(cpu1.Parent - cpu0.Parent) * 1e3:0.0} workers {(cpu1.Workers - cpu0.Workers) * 1e3:0.0}"));
        }

        // Tiered compilation keeps recompiling hot methods for a second or two (in every process): warm up past it.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromMilliseconds(1500))
        {
            await Map(pool, 200_000, 1000);
            await Map(pool, 200_000, 25_000);
            await Map(pool, 2_000, 1);
        }
    }

    for (var round = 0; round < repeat; round++)
    {
        const int n = 200_000;
        foreach (var (label, chunk) in new[] { ("pool_map_default_chunk", (int?)25_000), ("pool_map_chunk1000", 1000), ("pool_map_auto_chunk", null) })
        {
            if (!Wanted(label))
            {
                continue;
            }

            await Map(pool, n, chunk); // warm
            var cpu0 = Cpu(pool);
            var t = Stopwatch.StartNew();
            await Map(pool, n, chunk);
            Print($"{label} items_per_s", n / t.Elapsed.TotalSeconds);
            if (Environment.GetEnvironmentVariable("BENCH_CPU") == "1")
            {
                var cpu1 = Cpu(pool);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cpu ns/item: parent {(cpu1.Parent - cpu0.Parent) * 1e9 / n:0.0} workers {(cpu1.Workers - cpu0.Workers) * 1e9 / n:0.0}"));
            }
        }

        const int m = 20_000;
        if (Wanted("pool_map_chunk1"))
        {
            await Map(pool, m, 1);
            var t = Stopwatch.StartNew();
            await Map(pool, m, 1);
            Print("pool_map_chunk1 items_per_s", m / t.Elapsed.TotalSeconds);
        }

        if (Wanted("submit"))
        {
            var tasks = new Task<int>[m];
            for (var i = 0; i < m; i++)
            {
                tasks[i] = pool.SubmitAsync(square, i);
            }

            await Task.WhenAll(tasks);
            var t = Stopwatch.StartNew();
            for (var i = 0; i < m; i++)
            {
                tasks[i] = pool.SubmitAsync(square, i);
            }

            await Task.WhenAll(tasks);
            Print("submit items_per_s", m / t.Elapsed.TotalSeconds);
        }

        if (Wanted("apply"))
        {
            const int k = 5000;
            for (var i = 0; i < 500; i++)
            {
                await pool.SubmitAsync(square, i);
            }

            var t = Stopwatch.StartNew();
            for (var i = 0; i < k; i++)
            {
                await pool.SubmitAsync(square, i);
            }

            Print("apply_roundtrip_us", t.Elapsed.TotalMilliseconds * 1000 / k);
        }
    }
}

if (what == "queue-consumer")
{
    using var q = Gamut.Ipc.IpcQueue<byte[]>.Open(args[1]);
    var count = int.Parse(args[2], CultureInfo.InvariantCulture);
    for (var i = 0; i < count; i++)
    {
        if (!q.TryDequeue(out _))
        {
            await q.DequeueAsync();
        }
    }

    return;
}

if (what is "all" or "queue")
{
    // One producer process (this one) and one consumer process, 100-byte messages, as the Python peer does.
    const int n = 1_000_000;
    var name = $"bench-queue-{Environment.ProcessId}";
    using var q = Gamut.Ipc.IpcQueue<byte[]>.Create(name, capacity: 1024, maxItemBytes: 100);
    try
    {
        var msg = new byte[100];
        var self = typeof(Square).Assembly.Location;
        var consumer = Process.Start(new ProcessStartInfo("dotnet", [self, "queue-consumer", name, n.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        var t = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            if (!q.TryEnqueue(msg))
            {
                await q.EnqueueAsync(msg);
            }
        }

        await consumer.WaitForExitAsync();
        Print("ipc_queue_100B msgs_per_s", n / t.Elapsed.TotalSeconds);
    }
    finally
    {
        Gamut.Ipc.IpcObjects.Delete(name);
    }
}

static async Task Map(ProcessPool pool, int n, int? chunk)
{
    long sum = 0;
    await foreach (var o in pool.MapAsync(JobRef.To<Square, int, int>(), Enumerable.Range(0, n), new MapOptions { ChunkSize = chunk }))
    {
        sum += o.Value;
    }

    GC.KeepAlive(sum);
}

static (double Parent, double Workers) Cpu(ProcessPool pool)
{
    // Nanosecond CPU time of every thread, from schedstat.
    static double Of(int pid)
    {
        var total = 0.0;
        try
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    total += double.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture) / 1e9;
                }
                catch (IOException)
                {
                }
            }
        }
        catch (IOException)
        {
        }

        return total;
    }

    return (Of(Environment.ProcessId), pool.WorkerPids.Sum(Of));
}

static void Print(string name, double value) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {value:0.#}"));

[Job("bench.square")]
public sealed class Square : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}
