namespace Gamut.Processes;

/// <summary>
/// The executable does not exist: not at the path given, or in none of the directories of <c>PATH</c>
/// (listed in <see cref="SearchedDirectories"/>), or — for a script — its <c>#!</c> interpreter is missing.
/// </summary>
public sealed class CommandNotFoundException : CommandStartException
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command.</param>
    /// <param name="executable">The executable as it was given.</param>
    /// <param name="searchedDirectories">The <c>PATH</c> directories searched (empty when a path was given).</param>
    /// <param name="missingInterpreter">For a script that exists: the interpreter named on its <c>#!</c> line.</param>
    /// <param name="message">The message; a default naming the executable and the directories when null.</param>
    public CommandNotFoundException(
        Command? command,
        string executable,
        IReadOnlyList<string> searchedDirectories,
        string? missingInterpreter = null,
        string? message = null)
        : base(command, message ?? DefaultMessage(executable, searchedDirectories, missingInterpreter), 2)
    {
        Executable = executable;
        SearchedDirectories = searchedDirectories;
        MissingInterpreter = missingInterpreter;
    }

    /// <summary>The executable as it was given.</summary>
    public string Executable { get; }

    /// <summary>The directories of <c>PATH</c> that were searched, in order (empty when a path was given).</summary>
    public IReadOnlyList<string> SearchedDirectories { get; }

    /// <summary>For a script that exists but cannot run: the missing interpreter from its <c>#!</c> line.</summary>
    public string? MissingInterpreter { get; }

    private static string DefaultMessage(string executable, IReadOnlyList<string> directories, string? interpreter)
    {
        if (interpreter is not null)
        {
            return $"'{executable}' exists, but the interpreter on its #! line, '{interpreter}', was not found (ENOENT)";
        }

        if (executable.Contains('/', StringComparison.Ordinal))
        {
            return $"'{executable}' was not found (ENOENT)";
        }

        return directories.Count == 0
            ? $"'{executable}' was not found: PATH is empty or unset, so no directory was searched (ENOENT)"
            : $"'{executable}' was not found in PATH; searched: {string.Join(", ", directories)} (ENOENT)";
    }
}
