using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// <c>--timeout</c>, as GNU parallel keeps it: a fixed number of seconds, or N% of the median run time of the jobs
/// that succeeded so far. A percentage is watched by the scheduler while jobs run — the limit moves as jobs
/// succeed and applies to the jobs already running, and none applies before the first success. A fixed limit is
/// left to the command itself unless <c>--termseq</c> decides how jobs are stopped; then the scheduler watches it
/// too.
/// </summary>
internal sealed class TimeoutPolicy(TimeoutSpec? spec, bool schedulerStops)
{
    private readonly List<double> _runtimes = [];

    /// <summary>Whether the scheduler stops jobs that run past <see cref="LimitSeconds"/>.</summary>
    public bool Watches => spec is { PercentOfMedian: not null } || (spec is { Seconds: not null } && schedulerStops);

    /// <summary>The fixed limit the command enforces itself, if any.</summary>
    public double? SecondsForNextJob() => Watches ? null : spec?.Seconds;

    /// <summary>How long a job may run now; null: no limit yet.</summary>
    public double? LimitSeconds { get; private set; } = spec?.Seconds;

    public void OnSucceeded(TimeSpan runtime)
    {
        if (spec is not { PercentOfMedian: { } percent })
        {
            return;
        }

        // The lower median, as parallel takes it (element $#/2 of the sorted run times).
        var seconds = runtime.TotalSeconds;
        var at = _runtimes.BinarySearch(seconds);
        _runtimes.Insert(at < 0 ? ~at : at, seconds);
        LimitSeconds = _runtimes[(_runtimes.Count - 1) / 2] * percent / 100;
    }
}
