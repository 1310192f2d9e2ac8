namespace Gamut.Processes;

/// <summary>
/// One line of a child's output and the stream it came from (see <see cref="ChildProcess.ReadLinesAsync"/>);
/// the shape of .NET 11's <c>System.Diagnostics.ProcessOutputLine</c>.
/// </summary>
/// <param name="Content">The line, without its line ending.</param>
/// <param name="StandardError">Whether the line came from standard error (else standard output).</param>
public readonly record struct ProcessOutputLine(string Content, bool StandardError)
{
    /// <summary>The stream the line came from.</summary>
    public OutputSource Source => StandardError ? OutputSource.StandardError : OutputSource.StandardOutput;

    /// <inheritdoc/>
    public override string ToString() => Content;
}
