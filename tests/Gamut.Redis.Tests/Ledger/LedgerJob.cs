using Gamut.Jobs;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The job of the fault tests: sleeps for its input in ms, then appends one line <c>jobId attempt pid</c> to the
/// execution log of its process (outside Redis), and returns its input. The log is the ground truth for
/// executions and duplicates, because Redis may be what is being faulted.
/// </summary>
[Job("test.ledger")]
public sealed class LedgerJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        if (input > 0)
        {
            await Task.Delay(input, context.CancellationToken);
        }

        ExecutionLog.Append(context.JobId, context.Attempt);
        return input;
    }
}
