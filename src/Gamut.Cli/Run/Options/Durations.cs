using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary>Reads durations as GNU parallel writes them: seconds, optionally with a unit (<c>1.5</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>1d</c>).</summary>
internal static class Durations
{
    public static double ParseSeconds(string option, string text)
    {
        var s = text.Trim();
        var factor = 1.0;
        if (s.Length > 1 && char.IsAsciiLetter(s[^1]))
        {
            factor = s[^1] switch
            {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86400,
                _ => throw new UsageException($"{option} '{text}': unknown unit '{s[^1]}' (use s, m, h or d)"),
            };
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new UsageException($"{option} '{text}' is not a duration in seconds (e.g. 1.5, 30s, 2m)");
        }

        return value * factor;
    }
}
