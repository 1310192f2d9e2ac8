using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// <c>--timeout</c>: a fixed number of seconds, or N% of the median run time of the jobs that succeeded so far
/// (none until three have, so one fast job does not doom the rest).
/// </summary>
internal sealed class TimeoutPolicy(TimeoutSpec? spec)
{
    private readonly List<double> _runtimes = [];

    public double? SecondsForNextJob()
    {
        if (spec is not { } s)
        {
            return null;
        }

        if (s.Seconds is { } seconds)
        {
            return seconds;
        }

        if (_runtimes.Count < 3)
        {
            return null;
        }

        _runtimes.Sort();
        var median = _runtimes[_runtimes.Count / 2];
        return Math.Max(0.001, median * s.PercentOfMedian!.Value / 100);
    }

    public void OnSucceeded(TimeSpan runtime)
    {
        if (spec is { PercentOfMedian: not null })
        {
            _runtimes.Add(runtime.TotalSeconds);
        }
    }
}
