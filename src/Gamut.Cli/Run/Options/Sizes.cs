using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary>
/// Reads sizes as GNU parallel does (<c>--block</c>, <c>--memfree</c>): a number with an optional suffix, where an
/// upper-case K M G T P is a power of 1024 and a lower-case k m g t p a power of 1000 (<c>1M</c> = 1,048,576,
/// <c>100k</c> = 100,000).
/// </summary>
internal static class Sizes
{
    public static long Parse(string option, string text)
    {
        var s = text.Trim();
        double factor = 1;
        if (s.Length > 1 && char.IsAsciiLetter(s[^1]))
        {
            var power = "kmgtp".IndexOf(char.ToLowerInvariant(s[^1]), StringComparison.Ordinal) + 1;
            if (power == 0)
            {
                throw new UsageException($"{option} '{text}': unknown unit '{s[^1]}' (use K M G T P for 1024s, k m g t p for 1000s)");
            }

            factor = Math.Pow(char.IsAsciiLetterUpper(s[^1]) ? 1024 : 1000, power);
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * factor > long.MaxValue)
        {
            throw new UsageException($"{option} '{text}' is not a size (e.g. 1M, 512k, 2G)");
        }

        return (long)(value * factor);
    }
}
