using System.Runtime.CompilerServices;
using Gamut.Jobs;

namespace Gamut.Cli.Measure;

/// <summary>
/// <c>gamut measure</c>'s no-op job: gives its input back. What it costs on an executor is that executor's per-job
/// overhead. Public and registered by name so pool workers and Redis workers can run it.
/// </summary>
[Job("gamut.measure.noop")]
public sealed class MeasureNoOpJob : IJob<long, long>
{
    /// <inheritdoc/>
    public ValueTask<long> RunAsync(long input, JobContext context) => ValueTask.FromResult(input);
}

/// <summary><c>gamut measure</c>'s CPU-bound job: a loop of the given number of iterations, no memory touched.</summary>
[Job("gamut.measure.spin")]
public sealed class MeasureSpinJob : IJob<long, long>
{
    /// <inheritdoc/>
    public ValueTask<long> RunAsync(long input, JobContext context) => ValueTask.FromResult(Spin(input));

    /// <summary>Runs <paramref name="iterations"/> rounds of a xorshift; the result keeps the loop from being optimized away.</summary>
    /// <param name="iterations">How many rounds.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Spin(long iterations)
    {
        var x = 88172645463325252UL;
        for (var i = 0L; i < iterations; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        return (long)(x & 0x7fffffff);
    }
}
