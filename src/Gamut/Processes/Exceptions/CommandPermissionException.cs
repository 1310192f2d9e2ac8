namespace Gamut.Processes;

/// <summary>
/// The executable exists but may not be run: no execute permission, a directory, or a path through a
/// directory that may not be searched (EACCES).
/// </summary>
public sealed class CommandPermissionException : CommandStartException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command.</param>
    /// <param name="path">The path that was refused.</param>
    /// <param name="message">What was refused and why.</param>
    public CommandPermissionException(Command? command, string path, string message)
        : base(command, message, 13)
    {
        Path = path;
    }

    /// <summary>The path that was refused.</summary>
    public string Path { get; }
}
