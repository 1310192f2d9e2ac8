using System.Diagnostics;
using Gamut.Executors;
using Gamut.Loop;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// Break-even points. CPU-bound: a batch of jobs that each spin for a given time, on Threads and on a warm pool of
/// Processes (both as wide as the machine has cores); the time per job tells where, if anywhere, Processes catch up.
/// I/O-bound: N concurrent waits (a timer each) on the event loop (one thread, async), on Threads (the thread pool,
/// async) and on Threads with a dedicated thread blocked per wait (up to 1,000, the threads made and joined within
/// the span); the process's CPU time over the same span is the cost of the waiting itself.
/// </summary>
internal static class BreakEvenSection
{
    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        await CpuAsync(ctx, cancellationToken).ConfigureAwait(false);
        await WaitsAsync(ctx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Spin iterations per microsecond on this machine: the fastest of a few timed runs.</summary>
    private static double Calibrate()
    {
        const long iterations = 2_000_000;
        MeasureSpinJob.Spin(iterations);
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            MeasureSpinJob.Spin(iterations);
            best = Math.Min(best, Sampler.Nanoseconds(t0, Stopwatch.GetTimestamp()));
        }

        return iterations / (best / 1000);
    }

    private static async Task CpuAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var cores = Environment.ProcessorCount;
        ctx.Step("breakeven: CPU-bound, calibrating");
        var perMicro = Calibrate();
        var targetMicros = ctx.Budget.Name switch { "full" => 300_000, "quick" => 100_000, _ => 20_000 };
        await using var threads = Gamut.Executors.Executors.Threads(cores, Pools.Registry());
        await using var pool = await Pools.WarmAsync(cores, cancellationToken).ConfigureAwait(false);
        foreach (var micros in ctx.Budget.SpinMicros)
        {
            ctx.Step($"breakeven: CPU-bound jobs of {micros} µs");
            var iterations = (long)(micros * perMicro);
            var expected = MeasureSpinJob.Spin(iterations);
            var jobs = (int)Math.Clamp((long)targetMicros * cores / micros, 2 * cores, 20_000);
            foreach (var (name, executor) in new (string, IExecutor)[] { ("Threads", threads), ("Processes", pool) })
            {
                var samples = new List<double>();
                long done = 0;
                for (var round = 0; round < ctx.Budget.Rounds; round++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var tasks = new Task<long>[jobs];
                    for (var i = 0; i < jobs; i++)
                    {
                        tasks[i] = executor.SubmitAsync(Pools.Spin, iterations, cancellationToken: cancellationToken);
                    }

                    foreach (var t in tasks)
                    {
                        Pools.Expect(await t.ConfigureAwait(false), expected, $"{name} spin");
                        done++;
                    }

                    samples.Add(Sampler.Nanoseconds(t0, Stopwatch.GetTimestamp()) / jobs);
                }

                ctx.Add(Figure.From("breakeven", name, $"CPU job of {Units.Time(micros * 1000.0)}: {name}", samples, done, "jobs",
                    $"jobs spinning the given time each (calibrated here; about {Units.Time(targetMicros * 1000.0)} of work per core a round), submitted together to {name} ({cores} wide); a sample is a round's wall time per job") with { X = micros });
            }
        }
    }

    /// <summary>The most blocked threads the run starts: 10,000 took a minute and pushed a 2-core machine's load from 29 to 129.</summary>
    private const int MostBlockedThreads = 1000;

    private static async Task WaitsAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromMilliseconds(ctx.Budget.Name == "smoke" ? 20 : 100);
        var process = Process.GetCurrentProcess();

        // The loop and the pool are long-lived (one per application), made before the clock starts; a thread per
        // wait is made for its wait, so making (and joining) the threads is timed.
        await using var loop = new EventLoop(new EventLoopOptions { BlockedThreshold = null });
        await using var pool = Gamut.Executors.Executors.Threads(ctx.Budget.Waits.Max());
        (string Group, string How, Func<int, Task<long>> Run)[] variants =
        [
            ("Loop", "the event loop (one thread, made beforehand): each wait an await of Task.Delay", n => LoopWaitsAsync(loop, n, wait, cancellationToken)),
            ("Threads", "Threads (the thread pool, made beforehand, as wide as the waits): each wait an await of Task.Delay, no thread held", n => PoolWaitsAsync(pool, n, wait, cancellationToken)),
            ("Threads, blocking", "Threads with a dedicated thread per wait (made and joined within the span), each blocked in Thread.Sleep", n => BlockedWaitsAsync(n, wait, cancellationToken)),
        ];

        // Untimed first: the code of every variant compiled, the pools started.
        foreach (var v in variants)
        {
            await v.Run(10).ConfigureAwait(false);
        }

        foreach (var n in ctx.Budget.Waits)
        {
            ctx.Step($"breakeven: {Units.Count(n)} concurrent waits");
            var rounds = n >= 10_000 ? 1 : ctx.Budget.Rounds;
            foreach (var (group, how, run) in variants)
            {
                if (group == "Threads, blocking" && n > MostBlockedThreads)
                {
                    ctx.Skip("breakeven", $"Threads, blocking, with {Units.Count(n)} waits",
                        $"more than {Units.Count(MostBlockedThreads)} blocked threads are not started: on a shared 2-core machine 10,000 took a minute and pushed the load average from 29 to 129");
                    continue;
                }

                var wall = new List<double>();
                var cpu = new List<double>();
                long done = 0;
                try
                {
                    for (var round = 0; round < rounds; round++)
                    {
                        var (w, c, d) = await TimeAsync(process, () => run(n)).ConfigureAwait(false);
                        wall.Add(Math.Max(0, w - wait.TotalNanoseconds) / n);
                        cpu.Add(c / n);
                        done += d;
                    }
                }
                catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
                {
                    ctx.Skip("breakeven", $"{group} with {Units.Count(n)} waits", $"could not start {Units.Count(n)} threads here: {e.Message}");
                    continue;
                }

                StartSection.Confirm(done, (long)rounds * n, $"{group}: waits");
                Add(ctx, group, n, wait, wall, cpu, done, how);
            }
        }
    }

    private static async Task<long> LoopWaitsAsync(EventLoop loop, int n, TimeSpan wait, CancellationToken cancellationToken)
    {
        var tasks = new Task<int>[n];
        for (var i = 0; i < n; i++)
        {
            tasks[i] = loop.SubmitAsync(async _ =>
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(true);
                return 1;
            }, cancellationToken: cancellationToken);
        }

        return (await Task.WhenAll(tasks).ConfigureAwait(false)).Sum();
    }

    private static async Task<long> PoolWaitsAsync(ThreadsExecutor threads, int n, TimeSpan wait, CancellationToken cancellationToken)
    {
        var tasks = new Task<int>[n];
        for (var i = 0; i < n; i++)
        {
            tasks[i] = threads.SubmitAsync(async _ =>
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                return 1;
            }, cancellationToken: cancellationToken);
        }

        return (await Task.WhenAll(tasks).ConfigureAwait(false)).Sum();
    }

    private static async Task<long> BlockedWaitsAsync(int n, TimeSpan wait, CancellationToken cancellationToken)
    {
        await using var threads = Gamut.Executors.Executors.DedicatedThreads(n);
        var tasks = new Task<int>[n];
        for (var i = 0; i < n; i++)
        {
            tasks[i] = threads.SubmitAsync(_ =>
            {
                Thread.Sleep(wait);
                return ValueTask.FromResult(1);
            }, cancellationToken: cancellationToken);
        }

        return (await Task.WhenAll(tasks).ConfigureAwait(false)).Sum();
    }

    private static void Add(MeasureContext ctx, string group, int n, TimeSpan wait, List<double> wall, List<double> cpu, long done, string how)
    {
        var what = $"{Units.Count(n)} waits of {Units.Time(wait.TotalNanoseconds)}";
        ctx.Add(Figure.From("breakeven", group, $"{group}, {what}: wall time beyond the wait, per wait", wall, done, "waits",
            $"{how}; from the first submit to the last wait's end, minus the wait, divided by the waits") with { X = n });
        ctx.Add(Figure.From("breakeven", group, $"{group}, {what}: CPU time per wait", cpu, done, "waits",
            $"{how}; the process's CPU time (user + system) over the same span, divided by the waits") with { X = n });
    }

    private static async Task<(double WallNs, double CpuNs, long Done)> TimeAsync(Process process, Func<Task<long>> body)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        var done = await body().ConfigureAwait(false);
        var wall = Sampler.Nanoseconds(t0, Stopwatch.GetTimestamp());
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalNanoseconds, done);
    }
}
