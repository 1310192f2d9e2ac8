using System.Text;

namespace Gamut.Cli.Run.Templates;

/// <summary>
/// Quotes a value for a Bourne shell exactly as GNU parallel does, so composed command lines (and
/// <c>--dry-run</c> output) match it byte for byte: a value made only of letters, digits and <c>-_.+/</c> stays
/// as it is; anything else is put in single quotes, with each single quote written as <c>'"'"'</c>.
/// </summary>
internal static class ShellQuote
{
    public static string Quote(string value)
    {
        if (value.Length == 0)
        {
            return "''";
        }

        if (IsPlain(value))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        Append(sb, value);
        return sb.ToString();
    }

    /// <summary>Appends the quoted form of <paramref name="value"/>.</summary>
    public static void Append(StringBuilder sb, string value)
    {
        if (value.Length == 0)
        {
            sb.Append("''");
            return;
        }

        if (IsPlain(value))
        {
            sb.Append(value);
            return;
        }

        // '-quote the whole value; each ' becomes '"'"' (close, a "-quoted ', reopen). Then drop the empty ''
        // that a value starting or ending with ' leaves at either end.
        var start = sb.Length;
        sb.Append('\'');
        foreach (var c in value)
        {
            if (c == '\'')
            {
                sb.Append("'\"'\"'");
            }
            else
            {
                sb.Append(c);
            }
        }

        sb.Append('\'');
        if (sb.Length - start >= 2 && sb[start] == '\'' && sb[start + 1] == '\'')
        {
            sb.Remove(start, 2);
        }

        var end = sb.Length;
        if (end - start >= 2 && sb[end - 1] == '\'' && sb[end - 2] == '\'')
        {
            sb.Length = end - 2;
        }
    }

    public static bool IsPlain(string value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }
}
