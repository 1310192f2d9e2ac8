using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Cli.Measure.Sections;

/// <summary>The jobs and executors the sections share: one registry (this assembly's measuring jobs), warm pools.</summary>
internal static class Pools
{
    /// <summary>The measuring jobs, registered by name (pool and Redis workers load the same assembly).</summary>
    public static JobRegistry Registry() => new JobRegistry().Add<MeasureNoOpJob, long, long>().Add<MeasureSpinJob, long, long>();

    /// <summary>The no-op job.</summary>
    public static readonly JobRef<long, long> NoOp = JobRef.To<MeasureNoOpJob, long, long>();

    /// <summary>The CPU-bound job.</summary>
    public static readonly JobRef<long, long> Spin = JobRef.To<MeasureSpinJob, long, long>();

    /// <summary>A process pool of <paramref name="workers"/> workers, each ready (has run a job) before it is returned.</summary>
    public static async Task<ProcessPool> WarmAsync(int workers, CancellationToken cancellationToken)
    {
        var pool = Gamut.Executors.Executors.Processes(new ProcessPoolOptions { Registry = Registry(), Workers = workers });
        try
        {
            // Enough jobs at once that every worker gets some, then wait for the stragglers to report ready.
            await Task.WhenAll(Enumerable.Range(0, workers * 8).Select(i => pool.SubmitAsync(NoOp, i, cancellationToken: cancellationToken))).ConfigureAwait(false);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (pool.ReadyWorkers < workers && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }

            return pool;
        }
        catch
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Checks a no-op job's answer: a figure counts only jobs that came back right.</summary>
    public static void Expect(long got, long sent, string where)
    {
        if (got != sent)
        {
            throw new InvalidOperationException($"{where}: the no-op job sent {sent} came back as {got}");
        }
    }
}
