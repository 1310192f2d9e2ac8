using Gamut.Jobs;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The job of the fault tests: sleeps for its input in ms, then appends one line <c>jobId attempt pid</c> to the
/// execution log of its process (outside Redis), and returns its input. A negative input fails after logging (a
/// job that throws: dead-lettered on its last attempt). The log is the ground truth for executions and duplicates,
/// because Redis may be what is being faulted.
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
        return input >= 0 ? input : throw new InvalidOperationException($"job {context.JobId} fails as asked");
    }
}

/// <summary>A ledgered job with a padded payload and a result of a chosen size (for memory and output-buffer scenarios).</summary>
public sealed record BlobInput(int SleepMs, int ResultBytes, string Padding);

/// <summary>Sleeps, logs its execution like <see cref="LedgerJob"/>, and returns a string of <c>ResultBytes</c> characters.</summary>
[Job("test.ledger-blob")]
public sealed class LedgerBlobJob : IJob<BlobInput, string>
{
    public async ValueTask<string> RunAsync(BlobInput input, JobContext context)
    {
        if (input.SleepMs > 0)
        {
            await Task.Delay(input.SleepMs, context.CancellationToken);
        }

        ExecutionLog.Append(context.JobId, context.Attempt);
        return new string('r', input.ResultBytes);
    }
}
