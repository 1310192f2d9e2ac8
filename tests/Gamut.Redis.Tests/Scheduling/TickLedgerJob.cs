using Gamut.Jobs;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary>
/// The scheduled job of the schedule tests: appends <c>jobId attempt</c> to the file its input names — an outside
/// ledger of executions, kept apart from Redis (whose records are what is checked).
/// </summary>
[Job("test.tick")]
public sealed class TickLedgerJob : IJob<string, int>
{
    private static readonly object Gate = new();

    public ValueTask<int> RunAsync(string input, JobContext context)
    {
        lock (Gate)
        {
            File.AppendAllText(input, $"{context.JobId} {context.Attempt}\n");
        }

        return ValueTask.FromResult(0);
    }

    /// <summary>The ledger's lines: (job id, attempt).</summary>
    public static List<(string Id, int Attempt)> Read(string path) => File.Exists(path)
        ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))]
        : [];
}
