using Gamut.Jobs;

namespace Gamut.Tests.Pool;

// Jobs for the map and wire-format tests (MapTests).

[Job("pool.identity-double")]
public sealed class IdentityDoubleJob : IJob<double, double>
{
    public ValueTask<double> RunAsync(double input, JobContext context) => ValueTask.FromResult(input);
}

/// <summary>1 / input: infinity for 0, which JSON cannot carry.</summary>
[Job("pool.reciprocal")]
public sealed class ReciprocalJob : IJob<double, double>
{
    public ValueTask<double> RunAsync(double input, JobContext context) => ValueTask.FromResult(1 / input);
}

[Job("pool.negate-long")]
public sealed class NegateLongJob : IJob<long, long>
{
    public ValueTask<long> RunAsync(long input, JobContext context) => ValueTask.FromResult(unchecked(-input));
}

[Job("pool.not")]
public sealed class NotJob : IJob<bool, bool>
{
    public ValueTask<bool> RunAsync(bool input, JobContext context) => ValueTask.FromResult(!input);
}

/// <summary>Returns its own job id and attempt, as "id@attempt".</summary>
[Job("pool.whoami")]
public sealed class WhoAmIJob : IJob<int, string>
{
    public ValueTask<string> RunAsync(int input, JobContext context) => ValueTask.FromResult($"{context.JobId}@{context.Attempt}");
}

/// <summary>Squares its input, except that it throws for a multiple of 7.</summary>
[Job("pool.picky-square")]
public sealed class PickySquareJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        input % 7 == 0 ? throw new ArgumentException($"{input} is a multiple of 7") : ValueTask.FromResult(input * input);
}
