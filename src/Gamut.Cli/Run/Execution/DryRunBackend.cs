using System.Text;
using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary><c>--dry-run</c>: runs nothing; each job's "output" is its command line, so ordering and tagging apply as usual.</summary>
internal sealed class DryRunBackend : IJobBackend
{
    public bool CanStream => false;

    public Task<CommandOutcome> RunAsync(JobRequest request, CancellationToken stop)
    {
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(new CommandOutcome
        {
            ExitCode = 0,
            Stdout = Encoding.UTF8.GetBytes(request.CommandLine + "\n"),
            StartTime = now,
            EndTime = now,
        });
    }

    public void KillAll()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
