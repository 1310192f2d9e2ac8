using Gamut.Jobs;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>Fails its first attempt, succeeds on the next.</summary>
[Job("trace.fails-once")]
public sealed class FailsOnce : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        context.Attempt == 1 ? throw new InvalidOperationException("first attempt fails") : ValueTask.FromResult(input);
}

/// <summary>Ends its worker process (a crash, as far as the pool can tell).</summary>
[Job("trace.exits")]
public sealed class ExitsWorker : IJob<int, int>
{
    public ValueTask<int> RunAsync(int code, JobContext context)
    {
        Environment.Exit(code);
        return ValueTask.FromResult(code);
    }
}
