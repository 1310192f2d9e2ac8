using System.Diagnostics;
using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Redis.Ring;
using StackExchange.Redis;

namespace Gamut.RingBench;

[Job("bench.noop")]
public sealed class NoopJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input);
}

/// <summary>
/// bench/ring/run.sh: the Redis work per job, per instance, on one instance and on a ring.
///   worker URLS PREFIX CONCURRENCY                        a worker process
///   measure URLS PREFIX N WORKERS CONCURRENCY MODE        N no-op jobs through WORKERS worker processes, MODE
///                                                         batch (EnqueueMany, then wait for every result) or
///                                                         submit (MapAsync, 1,000 in flight); reads each instance's
///                                                         INFO commandstats / stats / cpu before and after
///   shares N DRAWS                                        the hash ring's balance for 1..N instances (simulation)
/// Every figure is one "key=value" line.
/// </summary>
public static class Program
{
    private static readonly JobRef<int, int> Noop = JobRef.To<NoopJob, int, int>();

    public static async Task<int> Main(string[] args)
    {
        switch (args[0])
        {
            case "worker":
                return await WorkerAsync(args[1], args[2], Int(args[3]));
            case "measure":
                return await MeasureAsync(args[1], args[2], Int(args[3]), Int(args[4]), Int(args[5]), args[6]);
            case "shares":
                return Shares(Int(args[1]), Int(args[2]));
            default:
                Console.Error.WriteLine($"unknown mode {args[0]}");
                return 2;
        }
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static RedisOptions Options(string urls, string prefix) => RedisOptions.FromUrl(urls).WithKeyPrefix(prefix);

    private static async Task<int> WorkerAsync(string urls, string prefix, int concurrency)
    {
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var registry = new JobRegistry().Add<NoopJob, int, int>();
        await using var worker = await RedisWorker.StartAsync(Options(urls, prefix), new RedisWorkerOptions { Registry = registry, Concurrency = concurrency, MaxBatch = 256 }, stop.Token);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await worker.StopAsync();
        return 0;
    }

    private static async Task<int> MeasureAsync(string urls, string prefix, int n, int workers, int concurrency, string mode)
    {
        var endpoints = urls.Split(',').Select(u => u[(u.LastIndexOf('/') + 1)..]).ToList();
        var admins = new List<(string Endpoint, IConnectionMultiplexer Mux)>();
        foreach (var e in endpoints)
        {
            admins.Add((e, await ConnectionMultiplexer.ConnectAsync($"{e},allowAdmin=true")));
        }

        await using var client = await RedisExecutor.ConnectAsync(Options(urls, prefix));
        var processes = await StartWorkersAsync(urls, prefix, workers, concurrency);
        try
        {
            // Warm up (scripts loaded, connections open), then count from here.
            await client.EnqueueManyAsync(Noop, Enumerable.Range(0, 500));
            await Task.Delay(1500);
            var before = new List<Snapshot>();
            foreach (var (_, mux) in admins)
            {
                await mux.GetServers()[0].ExecuteAsync("CONFIG", "RESETSTAT");
                before.Add(await SnapshotAsync(mux, prefix));
            }

            var sw = Stopwatch.StartNew();
            if (mode == "batch")
            {
                var handles = await client.EnqueueManyAsync(Noop, Enumerable.Range(0, n));
                await Task.WhenAll(handles.Select(h => client.WaitAsync<int>(h)));
            }
            else
            {
                await foreach (var _ in client.MapAsync(Noop, Enumerable.Range(0, n).ToAsyncEnumerable(), new MapOptions { MaxInFlight = 1000, Ordered = false }))
                {
                }
            }

            sw.Stop();
            var after = new List<Snapshot>();
            foreach (var (_, mux) in admins)
            {
                after.Add(await SnapshotAsync(mux, prefix));
            }

            var total = new Snapshot(0, 0, 0, 0, []);
            for (var i = 0; i < admins.Count; i++)
            {
                var d = after[i].Minus(before[i]);
                total = total.Plus(d);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"instances={admins.Count} mode={mode} instance={admins[i].Endpoint} jobs={d.Jobs} job_share={(double)d.Jobs / n:0.000} " +
                    $"redis_commands_per_job={(double)d.Commands / n:0.00} script_calls_per_job={(double)d.Scripts / n:0.00} round_trips_per_job={(double)d.Reads / n:0.00} redis_cpu_us_per_job={d.CpuMicros / n:0.0} " +
                    $"by_command={string.Join(",", d.ByCommand.OrderByDescending(c => c.Value).Take(8).Select(c => $"{c.Key}:{(double)c.Value / n:0.00}"))}"));
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"instances={admins.Count} mode={mode} instance=all jobs={total.Jobs} jobs_per_s={n / sw.Elapsed.TotalSeconds:0} redis_commands_per_job={(double)total.Commands / n:0.00} " +
                $"script_calls_per_job={(double)total.Scripts / n:0.00} round_trips_per_job={(double)total.Reads / n:0.00} redis_cpu_us_per_job={total.CpuMicros / n:0.0} " +
                $"by_command={string.Join(",", total.ByCommand.OrderByDescending(c => c.Value).Take(10).Select(c => $"{c.Key}:{(double)c.Value / n:0.00}"))}"));
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Kill();
                p.WaitForExit();
            }

            foreach (var (_, mux) in admins)
            {
                await mux.DisposeAsync();
            }
        }

        return 0;
    }

    /// <summary>
/// Cumulative counters of one instance: jobs enqueued there; commands Redis executed (those run inside scripts
/// included); read events (one per batch of commands a client sent: round trips); CPU.
/// </summary>
    private sealed record Snapshot(long Jobs, long Commands, long Reads, double CpuMicros, Dictionary<string, long> ByCommand)
    {
        /// <summary>Script calls (EVALSHA, EVAL): what a client sends for each state change.</summary>
        public long Scripts => ByCommand.GetValueOrDefault("evalsha") + ByCommand.GetValueOrDefault("eval");

        public Snapshot Minus(Snapshot o) => new(Jobs - o.Jobs, Commands - o.Commands, Reads - o.Reads, CpuMicros - o.CpuMicros,
            ByCommand.ToDictionary(c => c.Key, c => c.Value - o.ByCommand.GetValueOrDefault(c.Key)));

        public Snapshot Plus(Snapshot o) => new(Jobs + o.Jobs, Commands + o.Commands, Reads + o.Reads, CpuMicros + o.CpuMicros,
            ByCommand.Keys.Union(o.ByCommand.Keys).ToDictionary(k => k, k => ByCommand.GetValueOrDefault(k) + o.ByCommand.GetValueOrDefault(k)));
    }

    private static async Task<Snapshot> SnapshotAsync(IConnectionMultiplexer mux, string prefix)
    {
        var server = mux.GetServers()[0];
        var fields = (await server.InfoAsync("all")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        var byCommand = new Dictionary<string, long>();
        foreach (var (key, value) in fields.Where(f => f.Key.StartsWith("cmdstat_")))
        {
            // cmdstat_evalsha: calls=…,usec=…,usec_per_call=…
            var calls = value.Split(',').First(p => p.StartsWith("calls=")).Split('=')[1];
            byCommand[key["cmdstat_".Length..]] = long.Parse(calls, CultureInfo.InvariantCulture);
        }

        // Only the load's commands: the INFO and CONFIG calls of this measurement are left out.
        byCommand.Remove("info");
        byCommand.Remove("config");
        var enqueued = await mux.GetDatabase().HashGetAsync($"{prefix}:{{default}}:stats", "enqueued");
        var cpu = (double.Parse(fields["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(fields["used_cpu_sys"], CultureInfo.InvariantCulture)) * 1e6;
        return new Snapshot(enqueued.IsNull ? 0 : (long)enqueued, byCommand.Values.Sum(), long.Parse(fields["total_reads_processed"], CultureInfo.InvariantCulture), cpu, byCommand);
    }

    private static async Task<List<Process>> StartWorkersAsync(string urls, string prefix, int workers, int concurrency)
    {
        var list = new List<Process>();
        for (var i = 0; i < workers; i++)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                psi.ArgumentList.Add(typeof(Program).Assembly.Location);
            }

            foreach (var a in new[] { "worker", urls, prefix, concurrency.ToString(CultureInfo.InvariantCulture) })
            {
                psi.ArgumentList.Add(a);
            }

            list.Add(Process.Start(psi)!);
        }

        foreach (var p in list)
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line && line != "ready")
            {
            }
        }

        return list;
    }

    /// <summary>
    /// The ring's balance for 1..N instances: for each N, DRAWS rings of random member names; the largest share of
    /// the hash space decides the ring's capacity (the busiest instance saturates first): efficiency = 1 / (N × max share).
    /// </summary>
    private static int Shares(int max, int draws)
    {
        var random = new Random(7);
        foreach (var n in new[] { 1, 2, 3, 4, 6, 8, 12, 16, 32 }.Where(k => k <= max))
        {
            var maxShares = new List<double>();
            for (var d = 0; d < draws; d++)
            {
                var members = Enumerable.Range(0, n).Select(i => $"10.{random.Next(256)}.{random.Next(256)}.{i}:6379").ToList();
                maxShares.Add(new HashRing(members, RingTopology.DefaultVirtualNodes).Shares().Values.Max());
            }

            var mean = maxShares.Average();
            var worst = maxShares.Max();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"what=ring_balance instances={n} draws={draws} mean_max_share={mean:0.0000} worst_max_share={worst:0.0000} efficiency_mean={1 / (n * mean):0.000} efficiency_worst={1 / (n * worst):0.000}"));
        }

        return 0;
    }
}
