using System.Diagnostics;
using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

// One figure a line, in the same shape as the Python peer's output: "name value".
var registry = new JobRegistry().AddAssembly(typeof(Square).Assembly);
var square = JobRef.To<Square, int, int>();
var what = args.Length > 0 ? args[0] : "all";

if (what is "all" or "start")
{
    var sw = Stopwatch.StartNew();
    await using (var pool = Executors.Processes(registry, workers: 2))
    {
        await pool.SubmitAsync(square, 1);
        Print("pool_start_first_result_ms", sw.Elapsed.TotalMilliseconds);
    }
}

if (what is "all" or "pool")
{
    await using var pool = Executors.Processes(registry, workers: 2);
    await pool.SubmitAsync(square, 1);
    while (pool.ReadyWorkers < 2)
    {
        await Task.Delay(5);
    }

    const int n = 200_000;
    foreach (var (label, chunk) in new[] { ("pool_map_default_chunk", (int?)25_000), ("pool_map_chunk1000", 1000), ("pool_map_auto_chunk", null) })
    {
        await Map(pool, n, chunk); // warm
        var t = Stopwatch.StartNew();
        await Map(pool, n, chunk);
        Print($"{label} items_per_s", n / t.Elapsed.TotalSeconds);
    }

    const int m = 20_000;
    {
        await Map(pool, m, 1);
        var t = Stopwatch.StartNew();
        await Map(pool, m, 1);
        Print("pool_map_chunk1 items_per_s", m / t.Elapsed.TotalSeconds);
    }

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

static void Print(string name, double value) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {value:0.#}"));

[Job("bench.square")]
public sealed class Square : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}
