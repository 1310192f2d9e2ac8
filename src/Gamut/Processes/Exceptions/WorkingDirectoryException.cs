namespace Gamut.Processes;

/// <summary>The working directory cannot be used: it is missing, not a directory, or may not be entered.</summary>
public sealed class WorkingDirectoryException : CommandStartException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command.</param>
    /// <param name="path">The working directory.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="errorNumber">The errno value (ENOENT, ENOTDIR, EACCES).</param>
    public WorkingDirectoryException(Command? command, string path, string message, int? errorNumber)
        : base(command, message, errorNumber)
    {
        Path = path;
    }

    /// <summary>The working directory.</summary>
    public string Path { get; }
}
