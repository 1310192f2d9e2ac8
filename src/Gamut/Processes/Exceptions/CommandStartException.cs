namespace Gamut.Processes;

/// <summary>
/// The command could not be started. Subclasses name the usual causes; this type itself covers the rest
/// (e.g. ENOEXEC: the file is not in an executable format). No process is left behind.
/// </summary>
public class CommandStartException : CommandException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command that failed to start.</param>
    /// <param name="message">What went wrong, naming the cause.</param>
    /// <param name="errorNumber">The errno value reported by the operating system, if any.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CommandStartException(Command? command, string message, int? errorNumber = null, Exception? inner = null)
        : base(command, message, inner)
    {
        ErrorNumber = errorNumber;
    }

    /// <summary>The errno value the operating system reported (e.g. 2 for ENOENT), if any.</summary>
    public int? ErrorNumber { get; }
}
