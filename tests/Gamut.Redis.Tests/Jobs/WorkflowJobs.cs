using Gamut.Jobs;
using Gamut.Redis.Tests.Ledger;
using Gamut.Redis.Workflows;

namespace Gamut.Redis.Tests.Jobs;

[Job("test.add-one")]
public sealed class AddOneJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input + 1);
}

[Job("test.sum")]
public sealed class SumJob : IJob<int[], int>
{
    public ValueTask<int> RunAsync(int[] input, JobContext context) => ValueTask.FromResult(input.Sum());
}

/// <summary>Joins its input in order: "3,1,2".</summary>
[Job("test.join")]
public sealed class JoinJob : IJob<int[], string>
{
    public ValueTask<string> RunAsync(int[] input, JobContext context) => ValueTask.FromResult(string.Join(",", input));
}

/// <summary>Sleeps a few ms (so members end out of order), then returns its input; a negative input fails.</summary>
[Job("test.jitter")]
public sealed class JitterJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        await Task.Delay(Math.Abs(input * 7919) % 23, context.CancellationToken);
        return input >= 0 ? input : throw new InvalidOperationException($"member {input} fails as asked");
    }
}

/// <summary>Each outcome as "value" or "E:message", joined in order.</summary>
[Job("test.outcomes")]
public sealed class OutcomesJob : IJob<WorkflowOutcome<int>[], string>
{
    public ValueTask<string> RunAsync(WorkflowOutcome<int>[] input, JobContext context) =>
        ValueTask.FromResult(string.Join(",", input.Select(o => o.Succeeded ? o.Result.ToString(System.Globalization.CultureInfo.InvariantCulture) : "E:" + o.Error!.Message)));
}

/// <summary>A chord member of the fault scenario: logs its execution (like <see cref="LedgerJob"/>) and returns its input.</summary>
[Job("test.ledger-value")]
public sealed class LedgerValueJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        await Task.Delay(input % 3, context.CancellationToken);
        ExecutionLog.Append(context.JobId, context.Attempt);
        return input;
    }
}

/// <summary>The chord's callback in the fault scenario: logs its execution and returns how many slots hold their own index (1-based).</summary>
[Job("test.ledger-check")]
public sealed class LedgerCheckJob : IJob<int[], int>
{
    public ValueTask<int> RunAsync(int[] input, JobContext context)
    {
        ExecutionLog.Append(context.JobId, context.Attempt);
        return ValueTask.FromResult(input.Where((v, i) => v == i + 1).Count());
    }
}
