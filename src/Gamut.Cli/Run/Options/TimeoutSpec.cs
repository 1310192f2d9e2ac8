using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary><c>--timeout</c>: a fixed number of seconds, or a percentage of the median run time of the jobs that succeeded.</summary>
internal readonly record struct TimeoutSpec(double? Seconds, double? PercentOfMedian)
{
    public static TimeoutSpec Parse(string text)
    {
        var s = text.Trim();
        if (s.EndsWith('%'))
        {
            if (double.TryParse(s[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var pct) && pct > 0)
            {
                return new TimeoutSpec(null, pct);
            }

            throw new UsageException($"--timeout '{text}' is not a positive percentage (e.g. 200%)");
        }

        var seconds = Durations.ParseSeconds("--timeout", s);
        if (seconds <= 0)
        {
            throw new UsageException($"--timeout '{text}' must be more than zero seconds");
        }

        return new TimeoutSpec(seconds, null);
    }
}
