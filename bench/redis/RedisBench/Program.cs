using System.Diagnostics;
using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using StackExchange.Redis;

namespace Gamut.Bench;

[Job("bench.noop")]
public sealed class NoopJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input);
}

/// <summary>A chord's callback: how many results it was given.</summary>
[Job("bench.count")]
public sealed class CountJob : IJob<int[], int>
{
    public ValueTask<int> RunAsync(int[] input, JobContext context) => ValueTask.FromResult(input.Length);
}

/// <summary>
/// Gamut's figures for bench/redis/run.sh, one "peer=gamut …" line each:
///   worker URL PREFIX CONCURRENCY             a worker process (used by e2e)
///   enqueue URL PREFIX N                      batched enqueue rate
///   e2e URL PREFIX N WORKERS CONCURRENCY      N no-op jobs enqueued, then WORKERS processes started: time to all results
///   warm URL PREFIX N WORKERS CONCURRENCY     workers started and ready first: enqueue + completion of N jobs
///   latency URL PREFIX K                      one worker process; K sequential submit-and-wait of a trivial job
///   memory URL PREFIX N                       Redis used_memory per queued job
///   chord URL PREFIX N WORKERS CONCURRENCY    workers ready first: a chord of N no-op members and a counting
///                                             callback, from its start to its result (compare with warm)
/// </summary>
public static class Program
{
    private static readonly JobRef<int, int> Noop = JobRef.To<NoopJob, int, int>();

    public static async Task<int> Main(string[] args)
    {
        var url = args[1];
        var options = RedisOptions.FromUrl(url).WithKeyPrefix(args[2]);
        switch (args[0])
        {
            case "worker":
                return await WorkerAsync(options, Int(args[3]));
            case "enqueue":
                return await EnqueueAsync(options, Int(args[3]));
            case "e2e":
                return await EndToEndAsync(options, url, Int(args[3]), Int(args[4]), Int(args[5]), warm: false);
            case "warm":
                return await EndToEndAsync(options, url, Int(args[3]), Int(args[4]), Int(args[5]), warm: true);
            case "latency":
                return await LatencyAsync(options, url, Int(args[3]));
            case "memory":
                return await MemoryAsync(options, Int(args[3]));
            case "chord":
                return await ChordAsync(options, url, Int(args[3]), Int(args[4]), Int(args[5]));
            default:
                Console.Error.WriteLine($"unknown mode {args[0]}");
                return 2;
        }
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static async Task<int> WorkerAsync(RedisOptions options, int concurrency)
    {
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var registry = new JobRegistry().Add<NoopJob, int, int>().Add<CountJob, int[], int>();
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = registry, Concurrency = concurrency, MaxBatch = 256 }, stop.Token);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }

    private static async Task<int> EnqueueAsync(RedisOptions options, int n)
    {
        await using var client = await RedisExecutor.ConnectAsync(options);
        await client.EnqueueManyAsync(Noop, Enumerable.Range(0, 2000));
        await Flush(options);
        var sw = Stopwatch.StartNew();
        await client.EnqueueManyAsync(Noop, Enumerable.Range(0, n));
        sw.Stop();
        Console.Out.WriteLine($"peer=gamut what=enqueue_batched jobs={n} enqueue_per_s={n / sw.Elapsed.TotalSeconds:0}");
        return 0;
    }

    private static async Task<int> EndToEndAsync(RedisOptions options, string url, int n, int workers, int concurrency, bool warm)
    {
        await Flush(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options.Configuration);
        var db = mux.GetDatabase();
        var stats = $"{options.KeyPrefix}:{{default}}:stats";
        var processes = new List<Process>();
        Stopwatch sw;
        try
        {
            if (warm)
            {
                processes.AddRange(await StartWorkersAsync(url, options.KeyPrefix, workers, concurrency, waitReady: true));
                sw = Stopwatch.StartNew();
                await client.EnqueueManyAsync(Noop, Enumerable.Range(0, n));
            }
            else
            {
                await client.EnqueueManyAsync(Noop, Enumerable.Range(0, n));
                sw = Stopwatch.StartNew();
                processes.AddRange(await StartWorkersAsync(url, options.KeyPrefix, workers, concurrency, waitReady: false));
            }

            while ((long)await db.HashGetAsync(stats, "succeeded") < n)
            {
                await Task.Delay(2);
            }

            sw.Stop();
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Kill();
                p.WaitForExit();
            }
        }

        Console.Out.WriteLine($"peer=gamut what={(warm ? "end_to_end_warm" : "end_to_end")} jobs={n} workers={workers} concurrency={concurrency} process_per_s={n / sw.Elapsed.TotalSeconds:0}");
        return 0;
    }

    private static async Task<int> ChordAsync(RedisOptions options, string url, int n, int workers, int concurrency)
    {
        await Flush(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var processes = await StartWorkersAsync(url, options.KeyPrefix, workers, concurrency, waitReady: true);
        try
        {
            var chord = Gamut.Redis.Workflows.Workflow.Chord(
                Gamut.Redis.Workflows.Workflow.Group(Enumerable.Range(0, n).Select(i => Gamut.Redis.Workflows.Workflow.Job(Noop, i))),
                JobRef.To<CountJob, int[], int>());
            var sw = Stopwatch.StartNew();
            var count = await client.Workflows.RunAsync(chord);
            sw.Stop();
            if (count != n)
            {
                Console.Error.WriteLine($"the callback saw {count} results, not {n}");
                return 1;
            }

            Console.Out.WriteLine($"peer=gamut what=chord members={n} workers={workers} concurrency={concurrency} seconds={sw.Elapsed.TotalSeconds:0.000} members_per_s={n / sw.Elapsed.TotalSeconds:0}");
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Kill();
                p.WaitForExit();
            }
        }

        return 0;
    }

    private static async Task<int> LatencyAsync(RedisOptions options, string url, int k)
    {
        await Flush(options);
        var worker = (await StartWorkersAsync(url, options.KeyPrefix, 1, 4, waitReady: true)).Single();
        try
        {
            await using var client = await RedisExecutor.ConnectAsync(options);
            for (var i = 0; i < 300; i++)
            {
                await client.SubmitAsync(Noop, i);
            }

            var samples = new double[k];
            for (var i = 0; i < k; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await client.SubmitAsync(Noop, i);
                samples[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }

            Array.Sort(samples);
            double P(double q) => samples[(int)Math.Min(samples.Length - 1, q * samples.Length)];
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peer=gamut what=submit_and_wait jobs={k} median_ms={P(0.5):0.000} p90_ms={P(0.9):0.000} p99_ms={P(0.99):0.000}"));
        }
        finally
        {
            worker.Kill();
            worker.WaitForExit();
        }

        return 0;
    }

    private static async Task<int> MemoryAsync(RedisOptions options, int n)
    {
        await Flush(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options.Configuration.Clone().Apply(c => c.AllowAdmin = true));
        var server = mux.GetServers()[0];
        await client.EnqueueManyAsync(Noop, [0]);
        var before = await UsedMemoryAsync(server);
        await client.EnqueueManyAsync(Noop, Enumerable.Range(0, n));
        var after = await UsedMemoryAsync(server);
        Console.Out.WriteLine($"peer=gamut what=memory jobs={n} bytes_per_queued_job={(after - before) / (double)n:0}");
        return 0;
    }

    private static async Task<long> UsedMemoryAsync(IServer server)
    {
        var info = await server.InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).First(p => p.Key == "used_memory").Value, CultureInfo.InvariantCulture);
    }

    private static async Task Flush(RedisOptions options)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options.Configuration.Clone().Apply(c => c.AllowAdmin = true));
        await mux.GetServers()[0].FlushAllDatabasesAsync();
    }

    private static async Task<List<Process>> StartWorkersAsync(string url, string prefix, int workers, int concurrency, bool waitReady)
    {
        var list = new List<Process>();
        var ready = new List<Task>();
        for (var i = 0; i < workers; i++)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                psi.ArgumentList.Add(typeof(Program).Assembly.Location);
            }

            foreach (var a in new[] { "worker", url, prefix, concurrency.ToString(CultureInfo.InvariantCulture) })
            {
                psi.ArgumentList.Add(a);
            }

            var p = Process.Start(psi)!;
            list.Add(p);
            ready.Add(p.StandardOutput.ReadLineAsync());
        }

        if (waitReady)
        {
            await Task.WhenAll(ready);
        }

        return list;
    }
}
