namespace Gamut.Cli.Run.Templates;

/// <summary>One piece of a command template: literal text, or a replacement string.</summary>
internal abstract record TemplatePart;

/// <summary>Text copied as it is (the shell reads it).</summary>
internal sealed record LiteralPart(string Text) : TemplatePart;

/// <summary>
/// A replacement string. <see cref="Position"/> null: every input value (<c>{}</c>, <c>{.}</c> …), each quoted and
/// joined with spaces; 1-based from the first value, negative from the last (<c>{1}</c>, <c>{-1}</c>).
/// </summary>
internal sealed record ValuePart(int? Position, PathModifier Modifier) : TemplatePart;

/// <summary><c>{#}</c>: the job's sequence number.</summary>
internal sealed record SequencePart : TemplatePart;

/// <summary><c>{%}</c>: the job slot, 1 to -j.</summary>
internal sealed record SlotPart : TemplatePart;
