namespace Gamut.Processes;

/// <summary>
/// The command wrote more than <see cref="Command.OutputLimit"/> bytes to one stream; Gamut stopped reading,
/// stopped its process group and kept the output up to the limit.
/// </summary>
public sealed class OutputLimitExceededException : CommandException
{
    /// <summary>Creates the error.</summary>
    /// <param name="result">The result of the stopped command (output up to the limit).</param>
    /// <param name="limit">The limit in bytes.</param>
    /// <param name="source">The stream that went over it.</param>
    public OutputLimitExceededException(CommandResult result, long limit, OutputSource source)
        : base(result?.Command, $"Command '{result?.Command}' wrote more than {limit} bytes to {(source == OutputSource.StandardOutput ? "stdout" : "stderr")} and was stopped")
    {
        Result = result!;
        Limit = limit;
        Output = source;
    }

    /// <summary>The result of the stopped command, with the output kept up to the limit.</summary>
    public CommandResult Result { get; }

    /// <summary>The limit in bytes.</summary>
    public long Limit { get; }

    /// <summary>The stream that went over it.</summary>
    public OutputSource Output { get; }
}
