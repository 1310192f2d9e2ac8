using System.Diagnostics;

namespace Gamut.Cli.Measure;

/// <summary>
/// Times operations: a warm-up first (untimed: the JIT compiles the path, caches and the scheduler settle), then
/// one sample per operation (or per batch of operations, for the ones near the clock's resolution), each in
/// nanoseconds per operation. A cap on the time spent stops early on a machine slower than planned, never below
/// three samples; the figure then says how many samples it has.
/// </summary>
internal static class Sampler
{
    /// <summary>Times <paramref name="op"/> <paramref name="samples"/> times after <paramref name="warmup"/> untimed runs.</summary>
    /// <param name="warmup">Untimed runs first.</param>
    /// <param name="samples">Timed samples wanted.</param>
    /// <param name="op">The operation.</param>
    /// <param name="cap">Stop after this much time (with at least three samples).</param>
    /// <param name="perSample">Operations in each sample (the result is per operation).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static List<double> Time(int warmup, int samples, Action op, TimeSpan cap, int perSample = 1, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < warmup; i++)
        {
            op();
        }

        var result = new List<double>(samples);
        var started = Stopwatch.GetTimestamp();
        for (var s = 0; s < samples; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < perSample; i++)
            {
                op();
            }

            result.Add(Nanoseconds(t0, Stopwatch.GetTimestamp()) / perSample);
            if (result.Count >= 3 && Stopwatch.GetElapsedTime(started) > cap)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>The asynchronous form of <see cref="Time"/>.</summary>
    /// <param name="warmup">Untimed runs first.</param>
    /// <param name="samples">Timed samples wanted.</param>
    /// <param name="op">The operation.</param>
    /// <param name="cap">Stop after this much time (with at least three samples).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static async Task<List<double>> TimeAsync(int warmup, int samples, Func<ValueTask> op, TimeSpan cap, CancellationToken cancellationToken)
    {
        for (var i = 0; i < warmup; i++)
        {
            await op().ConfigureAwait(false);
        }

        var result = new List<double>(samples);
        var started = Stopwatch.GetTimestamp();
        for (var s = 0; s < samples; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var t0 = Stopwatch.GetTimestamp();
            await op().ConfigureAwait(false);
            result.Add(Nanoseconds(t0, Stopwatch.GetTimestamp()));
            if (result.Count >= 3 && Stopwatch.GetElapsedTime(started) > cap)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>Nanoseconds between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public static double Nanoseconds(long from, long to) => (to - from) * (1e9 / Stopwatch.Frequency);
}
