namespace Gamut.Processes;

/// <summary>The arguments and environment together exceed the system's limit (E2BIG, see <c>getconf ARG_MAX</c>).</summary>
public sealed class ArgumentListTooLongException : CommandStartException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command.</param>
    /// <param name="argumentCount">How many arguments were given.</param>
    /// <param name="totalBytes">Their size plus the environment's, in bytes, as passed to the kernel.</param>
    public ArgumentListTooLongException(Command? command, int argumentCount, long totalBytes)
        : base(command, $"The argument list is too long to start '{command?.Executable}': {argumentCount} arguments, {totalBytes} bytes with the environment (E2BIG)", 7)
    {
        ArgumentCount = argumentCount;
        TotalBytes = totalBytes;
    }

    /// <summary>How many arguments were given.</summary>
    public int ArgumentCount { get; }

    /// <summary>The bytes of arguments and environment passed to the kernel.</summary>
    public long TotalBytes { get; }
}
