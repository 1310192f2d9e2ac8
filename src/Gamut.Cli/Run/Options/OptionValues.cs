using System.Globalization;
using System.Text;

namespace Gamut.Cli.Run.Options;

/// <summary>Checks and converts option values, with messages in gamut's words.</summary>
internal static class OptionValues
{
    public static int Count(string option, string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        throw new UsageException($"{option} '{text}' is not a whole number");
    }

    public static double NonNegative(string option, string text)
    {
        var seconds = Durations.ParseSeconds(option, text);
        if (seconds < 0)
        {
            throw new UsageException($"{option} '{text}' cannot be negative");
        }

        return seconds;
    }

    public static string ColumnSeparator(string pattern)
    {
        if (pattern.Length == 0)
        {
            throw new UsageException("--colsep needs a non-empty regular expression");
        }

        return pattern;
    }

    public static string NonEmpty(string option, string text) =>
        text.Length > 0 ? text : throw new UsageException($"{option} needs a non-empty value");

    /// <summary>
    /// A delimiter as <c>-d</c> takes it: characters, C escapes (<c>\\n \\t \\r \\0 \\\\ \\a \\b \\f \\v</c>), octal
    /// (<c>\\012</c>) and hexadecimal (<c>\\x0a</c>) codes.
    /// </summary>
    public static byte[] Delimiter(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 >= text.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }

            var c = text[++i];
            switch (c)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x':
                    var hex = 0;
                    while (hex < 2 && i + 1 + hex < text.Length && char.IsAsciiHexDigit(text[i + 1 + hex]))
                    {
                        hex++;
                    }

                    if (hex == 0)
                    {
                        throw new UsageException($"-d '{text}': \\x needs hexadecimal digits");
                    }

                    bytes.Add(byte.Parse(text.AsSpan(i + 1, hex), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += hex;
                    break;
                case >= '0' and <= '7':
                    var value = 0;
                    var digits = 0;
                    while (digits < 3 && i + digits < text.Length && text[i + digits] is >= '0' and <= '7')
                    {
                        value = (value * 8) + (text[i + digits] - '0');
                        digits++;
                    }

                    bytes.Add((byte)value);
                    i += digits - 1;
                    break;
                default:
                    bytes.Add((byte)'\\');
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    break;
            }
        }

        if (bytes.Count == 0)
        {
            throw new UsageException("-d needs a delimiter");
        }

        return [.. bytes];
    }
}
