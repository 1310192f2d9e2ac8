using Gamut.Jobs;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>x -> x*x, under a name only the metrics tests use (so other tests' jobs do not count).</summary>
[Job("metrics.square")]
public sealed class MetricsSquare : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}

/// <summary>Fails on odd inputs; on even ones fails its first attempt only.</summary>
[Job("metrics.flaky")]
public sealed class MetricsFlaky : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        input % 2 == 1 || context.Attempt == 1 ? throw new InvalidOperationException($"{input} fails") : ValueTask.FromResult(input);
}

/// <summary>Runs until the file named by its input exists (a test lets it go by creating it).</summary>
[Job("metrics.hold")]
public sealed class MetricsHold : IJob<string, string>
{
    public async ValueTask<string> RunAsync(string file, JobContext context)
    {
        while (!File.Exists(file))
        {
            await Task.Delay(20, context.CancellationToken);
        }

        return file;
    }
}
