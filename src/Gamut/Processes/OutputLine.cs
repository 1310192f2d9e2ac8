namespace Gamut.Processes;

/// <summary>One line of a child's output, tagged with the stream it came from (see <see cref="ChildProcess.ReadLinesAsync"/>).</summary>
/// <param name="Source">The stream the line came from.</param>
/// <param name="Text">The line, without its line ending.</param>
public readonly record struct OutputLine(OutputSource Source, string Text)
{
    /// <summary>Whether the line came from standard error.</summary>
    public bool IsError => Source == OutputSource.StandardError;

    /// <inheritdoc/>
    public override string ToString() => Text;
}
