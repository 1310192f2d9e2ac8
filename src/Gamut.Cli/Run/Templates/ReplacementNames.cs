using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Templates;

/// <summary>
/// What the template parser recognises besides the built-in brace forms: replacement strings renamed with
/// <c>-I</c> and its kin (and then no longer their default names), and <c>{name}</c> for <c>--header</c> columns.
/// </summary>
internal sealed class ReplacementNames
{
    private readonly List<(string Name, TemplatePart Part)> _renamed = [];
    private readonly HashSet<string> _hiddenDefaults = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _header;

    public ReplacementNames(ReplacementStrings strings, IReadOnlyList<string> headerNames)
    {
        _header = headerNames;
        Rename(strings.Value, "{}", new ValuePart(null, PathModifier.None));
        Rename(strings.NoExtension, "{.}", new ValuePart(null, PathModifier.NoExtension));
        Rename(strings.Basename, "{/}", new ValuePart(null, PathModifier.Basename));
        Rename(strings.Dirname, "{//}", new ValuePart(null, PathModifier.Dirname));
        Rename(strings.BasenameNoExtension, "{/.}", new ValuePart(null, PathModifier.BasenameNoExtension));
        Rename(strings.Sequence, "{#}", new SequencePart());
        Rename(strings.Slot, "{%}", new SlotPart());
        // The longest name first, so -I {} --er {}. finds {}. before {}.
        _renamed.Sort((a, b) => b.Name.Length.CompareTo(a.Name.Length));
    }

    /// <summary>Whether a renamed replacement string starts at <paramref name="start"/>.</summary>
    public bool TryMatchRenamed(string word, int start, out TemplatePart part, out int length)
    {
        foreach (var (name, p) in _renamed)
        {
            if (word.AsSpan(start).StartsWith(name, StringComparison.Ordinal))
            {
                part = p;
                length = name.Length;
                return true;
            }
        }

        part = null!;
        length = 0;
        return false;
    }

    /// <summary>Whether the text in braces is a default name that was renamed (then it is literal text).</summary>
    public bool IsRenamedDefault(ReadOnlySpan<char> inner) => _hiddenDefaults.Count > 0 && _hiddenDefaults.Contains("{" + inner.ToString() + "}");

    /// <summary>The 1-based position of a <c>--header</c> column name, if it is one.</summary>
    public int? HeaderPosition(ReadOnlySpan<char> inner)
    {
        for (var i = 0; i < _header.Count; i++)
        {
            if (inner.SequenceEqual(_header[i]) && _header[i].Length > 0)
            {
                return i + 1;
            }
        }

        return null;
    }

    private void Rename(string name, string defaultName, TemplatePart part)
    {
        if (name != defaultName)
        {
            _renamed.Add((name, part));
            _hiddenDefaults.Add(defaultName);
        }
    }
}
