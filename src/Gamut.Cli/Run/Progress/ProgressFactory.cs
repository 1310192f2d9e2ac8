using System.Runtime.CompilerServices;
using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Progress;

/// <summary>
/// Chooses the progress display. Only when stderr is a terminal, and then when stdout goes elsewhere (a file, a
/// pipe) — job output written to the same terminal would tear through a live display — or when <c>--bar</c> or
/// <c>--eta</c> asks for it anyway. Nothing at all when stderr is not a terminal, so logs and pipes stay clean.
/// </summary>
internal static class ProgressFactory
{
    public static IRunProgress Create(RunOptions options, int maxJobs)
    {
        if (options.Progress == ProgressMode.Off || options.DryRun || Console.IsErrorRedirected)
        {
            return NoProgress.Instance;
        }

        if (!Console.IsOutputRedirected && !options.Bar && !options.Eta)
        {
            return NoProgress.Instance;
        }

        return CreateLive(maxJobs);
    }

    // Kept apart so Spectre.Console is loaded only when a display is shown: start-up matters.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IRunProgress CreateLive(int maxJobs) => new LiveProgress(maxJobs);
}
