using System.Globalization;
using System.Text;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Templates;

/// <summary>
/// The command words with their replacement strings found, ready to compose one command line per input record
/// the way GNU parallel does: the words joined with spaces, each replacement string replaced by the shell-quoted
/// value, and — when the command has no replacement string — the quoted values appended. Text in braces that is
/// not a replacement string (<c>{foo}</c>, <c>{a,b}</c>, awk's <c>{print}</c>) stays as it is.
/// </summary>
internal sealed class CommandTemplate
{
    private readonly List<TemplatePart>[] _words;
    private readonly bool _hasReplacement;

    private CommandTemplate(List<TemplatePart>[] words, bool hasReplacement)
    {
        _words = words;
        _hasReplacement = hasReplacement;
    }

    /// <summary>Whether the template has no command words: each input is then the command line itself.</summary>
    public bool IsEmpty => _words.Length == 0;

    /// <summary>Whether the slot number <c>{%}</c> appears (it is known only when the job starts).</summary>
    public bool UsesSlot { get; private init; }

    /// <summary>With <c>-X</c>: each word holding a replacement string is repeated once per value.</summary>
    public bool ContextReplace { get; private init; }

    public static CommandTemplate Parse(IReadOnlyList<string> words) => Parse(words, new ReplacementNames(ReplacementStrings.Default, []), contextReplace: false);

    public static CommandTemplate Parse(IReadOnlyList<string> words, ReplacementNames names, bool contextReplace)
    {
        var parsed = new List<TemplatePart>[words.Count];
        var any = false;
        var usesSlot = false;
        for (var w = 0; w < words.Count; w++)
        {
            parsed[w] = ParseWord(words[w], names, ref any, ref usesSlot);
        }

        return new CommandTemplate(parsed, any) { UsesSlot = usesSlot, ContextReplace = contextReplace };
    }

    /// <summary>The length of the command line with no values (for filling a line with -m/-X/--xargs).</summary>
    public int BaseLength => Compose([], 0, 1).Length;

    /// <summary>What one more value adds to the command line's length with -m/-X/--xargs.</summary>
    public int ValueCost(string value)
    {
        if (!_hasReplacement)
        {
            return ShellQuote.Quote(value).Length + 1;
        }

        var cost = 0;
        foreach (var word in _words)
        {
            var valueParts = word.OfType<ValuePart>().Where(p => p.Position is null).ToList();
            if (valueParts.Count == 0)
            {
                continue;
            }

            var quoted = valueParts.Sum(p => ShellQuote.Quote(PathModifiers.Apply(p.Modifier, value)).Length);
            cost += ContextReplace ? quoted + word.OfType<LiteralPart>().Sum(l => l.Text.Length) + 1 : quoted + valueParts.Count;
        }

        return cost;
    }

    /// <summary>Composes the command line for one job.</summary>
    public string Compose(IReadOnlyList<string> values, long seq, int slot) => Compose(values, seq, slot, quote: true);

    /// <summary>Composes text with the values as they are, nothing appended: a <c>--tagstring</c>.</summary>
    public string ComposeUnquoted(IReadOnlyList<string> values, long seq, int slot) => Compose(values, seq, slot, quote: false);

    private string Compose(IReadOnlyList<string> values, long seq, int slot, bool quote)
    {
        var sb = new StringBuilder(64);
        if (_words.Length == 0)
        {
            // No command: the input is the command line, unquoted.
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(values[i]);
            }

            return sb.ToString();
        }

        for (var w = 0; w < _words.Length; w++)
        {
            if (w > 0)
            {
                sb.Append(' ');
            }

            if (ContextReplace && values.Count > 1 && _words[w].Any(p => p is ValuePart))
            {
                // -X: the word once per value, with that value alone.
                for (var v = 0; v < values.Count; v++)
                {
                    if (v > 0)
                    {
                        sb.Append(' ');
                    }

                    AppendWord(sb, _words[w], [values[v]], seq, slot, quote);
                }

                continue;
            }

            AppendWord(sb, _words[w], values, seq, slot, quote);
        }

        if (!_hasReplacement && quote)
        {
            foreach (var v in values)
            {
                sb.Append(' ');
                ShellQuote.Append(sb, v);
            }
        }

        return sb.ToString();
    }

    private static void AppendWord(StringBuilder sb, List<TemplatePart> word, IReadOnlyList<string> values, long seq, int slot, bool quote)
    {
            foreach (var part in word)
            {
                switch (part)
                {
                    case LiteralPart literal:
                        sb.Append(literal.Text);
                        break;
                    case ValuePart value:
                        AppendValue(sb, value, values, quote);
                        break;
                    case SequencePart:
                        sb.Append(seq.ToString(CultureInfo.InvariantCulture));
                        break;
                    case SlotPart:
                        sb.Append(slot.ToString(CultureInfo.InvariantCulture));
                        break;
                }
            }
    }

    private static void AppendValue(StringBuilder sb, ValuePart part, IReadOnlyList<string> values, bool quote)
    {
        if (part.Position is { } position)
        {
            var index = position > 0 ? position - 1 : values.Count + position;
            if (index >= 0 && index < values.Count)
            {
                Append(sb, PathModifiers.Apply(part.Modifier, values[index]), quote);
            }

            // A position past the values gives nothing at all (not even ''), as in GNU parallel.
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            Append(sb, PathModifiers.Apply(part.Modifier, values[i]), quote);
        }
    }

    private static void Append(StringBuilder sb, string value, bool quote)
    {
        if (quote)
        {
            ShellQuote.Append(sb, value);
        }
        else
        {
            sb.Append(value);
        }
    }

    private static List<TemplatePart> ParseWord(string word, ReplacementNames names, ref bool any, ref bool usesSlot)
    {
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < word.Length)
        {
            if (names.TryMatchRenamed(word, i, out var part, out var length)
                || (word[i] == '{' && TryParseReplacement(word, i, names, out part, out length)))
            {
                if (literal.Length > 0)
                {
                    parts.Add(new LiteralPart(literal.ToString()));
                    literal.Clear();
                }

                parts.Add(part);
                any = true;
                usesSlot |= part is SlotPart;
                i += length;
            }
            else
            {
                literal.Append(word[i++]);
            }
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add(new LiteralPart(literal.ToString()));
        }

        return parts;
    }

    // Recognises {} {.} {/} {//} {/.} {#} {%} and {N} {-N} with the same modifiers ({2.} {-1/} …).
    private static bool TryParseReplacement(string word, int start, ReplacementNames names, out TemplatePart part, out int length)
    {
        part = null!;
        length = 0;
        var close = word.IndexOf('}', start + 1);
        if (close < 0)
        {
            return false;
        }

        var inner = word.AsSpan(start + 1, close - start - 1);
        length = close - start + 1;
        if (inner.StartsWith("="))
        {
            throw new UsageException("Perl expressions in replacement strings ({= … =}) are not supported; use the shell instead");
        }

        if (names.IsRenamedDefault(inner))
        {
            return false;
        }

        if (names.HeaderPosition(inner) is { } column)
        {
            part = new ValuePart(column, PathModifier.None);
            return true;
        }

        if (inner is "#")
        {
            part = new SequencePart();
            return true;
        }

        if (inner is "%")
        {
            part = new SlotPart();
            return true;
        }

        int? position = null;
        var digits = 0;
        var sign = inner.Length > 0 && inner[0] == '-' ? 1 : 0;
        while (sign + digits < inner.Length && char.IsAsciiDigit(inner[sign + digits]))
        {
            digits++;
        }

        if (digits > 0)
        {
            if (digits > 9)
            {
                return false;
            }

            var n = int.Parse(inner[sign..(sign + digits)], CultureInfo.InvariantCulture);
            // {0} is not a position in GNU parallel (0 is false in Perl): it means every value, like {}.
            position = n == 0 ? null : (sign == 1 ? -n : n);
        }
        else if (sign == 1)
        {
            return false;
        }

        PathModifier? modifier = inner[(sign + digits)..] switch
        {
            "" => PathModifier.None,
            "." => PathModifier.NoExtension,
            "/" => PathModifier.Basename,
            "//" => PathModifier.Dirname,
            "/." => PathModifier.BasenameNoExtension,
            _ => null,
        };
        if (modifier is null)
        {
            return false;
        }

        part = new ValuePart(position, modifier.Value);
        return true;
    }
}
