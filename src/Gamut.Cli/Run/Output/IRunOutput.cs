using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// How finished jobs' output reaches gamut's stdout and stderr: grouped (whole jobs), in input order
/// (<c>-k</c>), as lines (<c>--line-buffer</c>), straight through (<c>-u</c>) or as JSON lines (<c>--json</c>).
/// Called from the scheduler's loop, except <see cref="IJobOutputListener.OnOutput"/> which comes from readers.
/// </summary>
internal interface IRunOutput : IJobOutputListener
{
    /// <summary>Where the jobs' output should go while they run.</summary>
    OutputRouting Routing { get; }

    /// <summary>A job's first attempt is starting.</summary>
    void OnStarted(PlannedJob job);

    /// <summary>A job's last attempt finished.</summary>
    void OnFinished(FinishedJob job);

    /// <summary>A started job will never finish (stopped by <c>--halt now</c>, a signal, or a closed stdout).</summary>
    void OnAbandoned(PlannedJob job);

    /// <summary>Everything that can be written has been; flush.</summary>
    void Complete();
}
