namespace Gamut.Processes;

/// <summary>
/// Reading the command's standard-input source failed (e.g. the stream given to
/// <see cref="InputSource.FromStream"/> threw); the command was stopped. The source's error is the inner exception.
/// </summary>
public sealed class CommandInputException : CommandException
{
    /// <summary>Creates the error.</summary>
    /// <param name="result">The result of the stopped command.</param>
    /// <param name="inner">The source's error.</param>
    public CommandInputException(CommandResult result, Exception inner)
        : base(result?.Command, $"Reading the standard input source of '{result?.Command}' failed: {inner?.Message}", inner)
    {
        Result = result!;
    }

    /// <summary>The result of the stopped command.</summary>
    public CommandResult Result { get; }
}
