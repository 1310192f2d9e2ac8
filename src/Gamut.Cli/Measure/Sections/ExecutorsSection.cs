using System.Diagnostics;
using Gamut.Executors;
using Gamut.Loop;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// The per-job overhead of each executor for a no-op job (the same registered job everywhere): one job at a time
/// (what a single job waits for: submit, run, result back) and many at once (what each job costs when the executor
/// is kept busy: its throughput). Every result is checked against its input.
/// </summary>
internal static class ExecutorsSection
{
    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var cores = Environment.ProcessorCount;
        var registry = Pools.Registry();

        ctx.Step("executors: Inline");
        await using (var inline = Gamut.Executors.Executors.Inline(registry))
        {
            await MeasureAsync(ctx, "Inline", inline, 20_000, "on the caller's thread", cancellationToken).ConfigureAwait(false);
        }

        ctx.Step("executors: Threads");
        await using (var threads = Gamut.Executors.Executors.Threads(cores, registry))
        {
            await MeasureAsync(ctx, "Threads", threads, 5000, $"on the thread pool, at most {cores} at once", cancellationToken).ConfigureAwait(false);
        }

        ctx.Step("executors: Loop");
        await using (var loop = new EventLoop(new EventLoopOptions { Registry = registry, BlockedThreshold = null }))
        {
            await MeasureAsync(ctx, "Loop", loop, 5000, "on the event loop's one thread", cancellationToken).ConfigureAwait(false);
        }

        ctx.Step("executors: Processes");
        await using (var pool = await Pools.WarmAsync(cores, cancellationToken).ConfigureAwait(false))
        {
            await MeasureAsync(ctx, "Processes", pool, 2000, $"on a warm pool of {cores} worker processes", cancellationToken).ConfigureAwait(false);
        }

        if (ctx.Args.Redis is { } url)
        {
            ctx.Step("executors: Redis");
            await RedisFigures.ExecutorAsync(ctx, url, registry, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            ctx.Skip("executors", "Redis", "no --redis URL given");
        }
    }

    /// <summary>Times the no-op job on <paramref name="executor"/>: one at a time, then many at once.</summary>
    public static async Task MeasureAsync(MeasureContext ctx, string name, IExecutor executor, int sequential, string where, CancellationToken cancellationToken)
    {
        var b = ctx.Budget;
        long sent = 0, right = 0;
        var warmup = b.Count(sequential / 10, 5);
        var one = await Sampler.TimeAsync(warmup, b.Count(sequential, 20), async () =>
        {
            var n = ++sent;
            Pools.Expect(await executor.SubmitAsync(Pools.NoOp, n, cancellationToken: cancellationToken).ConfigureAwait(false), n, name);
            right++;
        }, ctx.Cap, cancellationToken).ConfigureAwait(false);
        StartSection.Confirm(right, warmup + one.Count, $"{name}: jobs one at a time");
        ctx.Add(Figure.From("executors", name, $"{name}: one at a time", one, right, "jobs",
            $"a no-op job submitted and its result awaited before the next, {where}"));

        var batch = b.Count(Math.Min(sequential, 2000), 20);
        var rounds = b.Count(10, 3);
        var perJob = new List<double>(rounds);
        long done = 0;
        var tasks = new Task<long>[batch];
        for (var round = 0; round <= rounds; round++)
        {
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch; i++)
            {
                tasks[i] = executor.SubmitAsync(Pools.NoOp, (long)i, cancellationToken: cancellationToken);
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);
            var elapsed = Sampler.Nanoseconds(t0, Stopwatch.GetTimestamp());
            for (var i = 0; i < batch; i++)
            {
                Pools.Expect(await tasks[i].ConfigureAwait(false), i, name);
            }

            done += batch;
            if (round > 0)
            {
                // Round 0 is the warm-up.
                perJob.Add(elapsed / batch);
            }
        }

        ctx.Add(Figure.From("executors", name, $"{name}: {Units.Count(batch)} at once", perJob, done, "jobs",
            $"{Units.Count(batch)} no-op jobs submitted together and all awaited, {where}; a sample is the round's time per job"));
    }
}
