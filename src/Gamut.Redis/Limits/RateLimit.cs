using System.Globalization;

namespace Gamut.Redis;

/// <summary>
/// A queue's rate limit: at most <see cref="Count"/> jobs start in any window of <see cref="Period"/>, across every
/// worker on every machine (docs/redis.md, "Rate limits"). Written <c>N/PERIOD</c>: <c>50/s</c>, <c>1000/1m</c>,
/// <c>3/500ms</c>, <c>10/2h</c>.
/// </summary>
public sealed record RateLimit
{
    /// <summary>The most jobs a queue may hold in its log (the log keeps one entry per start within the period).</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>A limit of <paramref name="count"/> jobs per <paramref name="period"/>.</summary>
    /// <param name="count">Jobs per period, 1 to <see cref="MaxCount"/>.</param>
    /// <param name="period">The period, a whole number of milliseconds from 1 ms to 7 days.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count or the period is out of range.</exception>
    public RateLimit(int count, TimeSpan period)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a rate limit allows 1 to {MaxCount} jobs per period");
        }

        if (period < TimeSpan.FromMilliseconds(1) || period > TimeSpan.FromDays(7) || period.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "a rate limit's period is a whole number of milliseconds from 1 ms to 7 days");
        }

        Count = count;
        Period = period;
    }

    /// <summary>Jobs per period.</summary>
    public int Count { get; }

    /// <summary>The period.</summary>
    public TimeSpan Period { get; }

    /// <summary>Reads <c>N/PERIOD</c>: N a positive integer; PERIOD a unit (ms, s, m, h) with an optional count before it.</summary>
    /// <param name="text">E.g. <c>50/s</c> or <c>100/10s</c>.</param>
    /// <exception cref="FormatException">The text is not a rate (the message says what is expected).</exception>
    public static RateLimit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 1 || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException($"'{text}' is not a rate: write N/PERIOD, e.g. 50/s, 1000/1m, 3/500ms");
        }

        var p = text[(slash + 1)..];
        var digits = 0;
        while (digits < p.Length && char.IsAsciiDigit(p[digits]))
        {
            digits++;
        }

        var times = digits == 0 ? 1L : long.TryParse(p.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t is > 0 and < 1_000_000_000 ? t : -1;
        long unitMs = p[digits..] switch
        {
            "ms" => 1,
            "s" => 1000,
            "m" or "min" => 60_000,
            "h" => 3_600_000,
            _ => -1,
        };
        if (times < 0 || unitMs < 0)
        {
            throw new FormatException($"'{text}' is not a rate: the period is a unit (ms, s, m, h) with an optional count before it, e.g. 50/s, 100/10s");
        }

        try
        {
            return new RateLimit(count, TimeSpan.FromMilliseconds(times * unitMs));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"'{text}': {e.Message.Split(" (Parameter", 2)[0]}", e);
        }
    }

    /// <summary><c>N/PERIOD</c> in the shortest unit that divides the period, e.g. <c>50/1s</c>.</summary>
    public override string ToString()
    {
        var ms = (long)Period.TotalMilliseconds;
        var (n, unit) = ms % 3_600_000 == 0 ? (ms / 3_600_000, "h") : ms % 60_000 == 0 ? (ms / 60_000, "m") : ms % 1000 == 0 ? (ms / 1000, "s") : (ms, "ms");
        return string.Create(CultureInfo.InvariantCulture, $"{Count}/{n}{unit}");
    }
}
