namespace Gamut.Processes;

/// <summary>
/// A system limit stopped the start: too many open files (EMFILE, ENFILE), too many processes (EAGAIN, e.g.
/// a cgroup's <c>pids.max</c> or <c>ulimit -u</c>), or no memory (ENOMEM). Retrying later may succeed.
/// </summary>
public sealed class CommandResourceLimitException : CommandStartException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command.</param>
    /// <param name="message">Which limit was hit.</param>
    /// <param name="errorNumber">The errno value.</param>
    public CommandResourceLimitException(Command? command, string message, int errorNumber)
        : base(command, message, errorNumber)
    {
    }
}
