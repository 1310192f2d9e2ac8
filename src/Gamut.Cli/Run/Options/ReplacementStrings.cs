namespace Gamut.Cli.Run.Options;

/// <summary>
/// The names of the replacement strings, which <c>-I</c>, <c>--extensionreplace</c>, <c>--basenamereplace</c>,
/// <c>--dirnamereplace</c>, <c>--basenameextensionreplace</c>, <c>--seqreplace</c> and <c>--slotreplace</c>
/// rename. A renamed one is no longer recognised by its default name.
/// </summary>
internal sealed record ReplacementStrings
{
    public string Value { get; init; } = "{}";

    public string NoExtension { get; init; } = "{.}";

    public string Basename { get; init; } = "{/}";

    public string Dirname { get; init; } = "{//}";

    public string BasenameNoExtension { get; init; } = "{/.}";

    public string Sequence { get; init; } = "{#}";

    public string Slot { get; init; } = "{%}";

    public static ReplacementStrings Default { get; } = new();
}
