namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// One input source as given on the command line: the arguments after <c>:::</c>, a file after <c>::::</c> or
/// <c>-a</c> (<c>-</c> is standard input), or standard input itself. A linked source (<c>:::+</c>, <c>::::+</c>)
/// pairs its values one to one with the source before it instead of combining with every one of them.
/// </summary>
internal sealed record InputSourceSpec
{
    public required InputSourceKind Kind { get; init; }

    /// <summary>The values, for <see cref="InputSourceKind.Arguments"/>.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>The file, for <see cref="InputSourceKind.File"/>.</summary>
    public string? Path { get; init; }

    /// <summary>Linked to the previous source (<c>:::+</c>).</summary>
    public bool Linked { get; init; }

    public static InputSourceSpec Arguments(IReadOnlyList<string> values, bool linked) =>
        new() { Kind = InputSourceKind.Arguments, Values = values, Linked = linked };

    public static InputSourceSpec File(string path, bool linked) =>
        path == "-" ? new() { Kind = InputSourceKind.Stdin, Linked = linked } : new() { Kind = InputSourceKind.File, Path = path, Linked = linked };

    public static InputSourceSpec Stdin { get; } = new() { Kind = InputSourceKind.Stdin };
}

internal enum InputSourceKind { Arguments, File, Stdin }
