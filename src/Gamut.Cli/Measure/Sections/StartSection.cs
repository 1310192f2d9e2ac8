using System.Diagnostics;
using Gamut.Cli.Measure.Native;
using Gamut.Pool;
using Gamut.Processes;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// Starting work: a thread; a process by posix_spawn, by System.Diagnostics.Process and by Gamut's Command (each
/// started, run to its end and reaped: /bin/true does nothing, so what is timed is the start and the end); a warm pool
/// worker taking a job; a cold pool from nothing to its first result.
/// </summary>
internal static class StartSection
{
    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var b = ctx.Budget;
        var cap = ctx.Cap;

        ctx.Step("start: threads");
        long threadsRan = 0;
        var threadWarmup = b.Count(200, 5);
        var threads = Sampler.Time(threadWarmup, b.Count(2000, 20), () =>
        {
            var t = new Thread(() => Interlocked.Increment(ref threadsRan));
            t.Start();
            t.Join();
        }, cap, cancellationToken: cancellationToken);
        Confirm(threadsRan, threadWarmup + threads.Count, "threads");
        ctx.Add(Figure.From("start", "thread", "thread: start + join", threads, threadsRan, "threads",
            "new Thread(empty).Start() then Join(), one at a time; each thread counts itself"));

        var trueBin = new[] { "/bin/true", "/usr/bin/true" }.FirstOrDefault(File.Exists);
        if (trueBin is null)
        {
            ctx.Skip("start", "processes", "no /bin/true here");
        }
        else
        {
            await ProcessesAsync(ctx, trueBin, cancellationToken).ConfigureAwait(false);
        }

        ctx.Step("start: warm pool worker");
        await using (var pool = await Pools.WarmAsync(1, cancellationToken).ConfigureAwait(false))
        {
            long sent = 0, right = 0;
            var warmup = b.Count(200, 5);
            var jobs = await Sampler.TimeAsync(warmup, b.Count(2000, 20), async () =>
            {
                var n = ++sent;
                Pools.Expect(await pool.SubmitAsync(Pools.NoOp, n, cancellationToken: cancellationToken).ConfigureAwait(false), n, "warm pool");
                right++;
            }, cap, cancellationToken).ConfigureAwait(false);
            Confirm(right, warmup + jobs.Count, "warm pool");
            ctx.Add(Figure.From("start", "pool", "warm pool worker takes a job", jobs, right, "jobs",
                "a no-op job submitted to a ready 1-worker pool and its result awaited, one at a time"));
        }

        ctx.Step("start: cold pool");
        long pools = 0;
        var cold = await Sampler.TimeAsync(0, b.Count(8, 2), async () =>
        {
            await using var pool = Gamut.Executors.Executors.Processes(new Gamut.Pool.ProcessPoolOptions { Registry = Pools.Registry(), Workers = 1 });
            Pools.Expect(await pool.SubmitAsync(Pools.NoOp, 7, cancellationToken: cancellationToken).ConfigureAwait(false), 7, "cold pool");
            pools++;
        }, cap * 2, cancellationToken).ConfigureAwait(false);
        ctx.Add(Figure.From("start", "pool", "cold pool: create to first result", cold, pools, "pools",
            "a 1-worker pool created, one no-op job awaited, the pool disposed (a new worker process each time)"));
    }

    private static async Task ProcessesAsync(MeasureContext ctx, string trueBin, CancellationToken cancellationToken)
    {
        var b = ctx.Budget;
        var cap = ctx.Cap;
        IReadOnlyList<KeyValuePair<string, string>> noEnvironment = [];

        ctx.Step("start: posix_spawn");
        long spawned = 0;
        var spawnWarmup = b.Count(20, 2);
        var spawn = Sampler.Time(spawnWarmup, b.Count(300, 10), () =>
        {
            var pid = Spawn.Start(trueBin, [], noEnvironment);
            if (Spawn.Wait(pid) == 0)
            {
                spawned++;
            }
        }, cap, cancellationToken: cancellationToken);
        Confirm(spawned, spawnWarmup + spawn.Count, "posix_spawn");
        ctx.Add(Figure.From("start", "process", "process: posix_spawn", spawn, spawned, "processes",
            $"posix_spawn({trueBin}) then waitid, one at a time (raw libc; exit status 0 counted)"));

        ctx.Step("start: System.Diagnostics.Process");
        long started = 0;
        var processWarmup = b.Count(20, 2);
        var process = Sampler.Time(processWarmup, b.Count(200, 10), () =>
        {
            using var p = Process.Start(new ProcessStartInfo(trueBin) { UseShellExecute = false })!;
            p.WaitForExit();
            if (p.ExitCode == 0)
            {
                started++;
            }
        }, cap, cancellationToken: cancellationToken);
        Confirm(started, processWarmup + process.Count, "Process.Start");
        ctx.Add(Figure.From("start", "process", "process: System.Diagnostics.Process", process, started, "processes",
            $"Process.Start({trueBin}) then WaitForExit, one at a time"));

        ctx.Step("start: Gamut Command");
        long ran = 0;
        var command = Command.Create(trueBin);
        var gamutWarmup = b.Count(20, 2);
        var gamut = await Sampler.TimeAsync(gamutWarmup, b.Count(200, 10), async () =>
        {
            var result = await command.RunAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                ran++;
            }
        }, cap, cancellationToken).ConfigureAwait(false);
        Confirm(ran, gamutWarmup + gamut.Count, "Command");
        ctx.Add(Figure.From("start", "process", "process: Gamut Command", gamut, ran, "processes",
            $"Command.Create({trueBin}).RunAsync(), one at a time (own process group, output captured)"));
    }

    /// <summary>Throws unless every operation run (warm-up and timed) was confirmed done.</summary>
    public static void Confirm(long done, long expected, string what)
    {
        if (done != expected)
        {
            throw new InvalidOperationException($"{what}: {expected} operations run, {done} confirmed");
        }
    }
}
