namespace Gamut.Processes.Internal;

/// <summary>
/// Finds the file an executable name means, the way <c>execvp</c> does, but here, so that a failure can
/// name every directory searched and the spawner can hand the kernel a full path.
/// </summary>
internal static class ExecutableResolver
{
    /// <summary>Where a name is looked up when <c>PATH</c> is unset (glibc's default).</summary>
    public const string DefaultPath = "/usr/bin:/bin";

    /// <summary>The directories of a <c>PATH</c> value, in order; empty entries (the legacy "current directory") are skipped.</summary>
    public static IReadOnlyList<string> Directories(string? pathVariable, string? workingDirectory)
    {
        var value = pathVariable ?? (OperatingSystem.IsWindows() ? "" : DefaultPath);
        var result = new List<string>();
        foreach (var entry in value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            result.Add(Path.IsPathRooted(entry) ? entry : Path.Combine(workingDirectory ?? Environment.CurrentDirectory, entry));
        }

        return result;
    }

    /// <summary>Resolves <paramref name="command"/>'s executable.</summary>
    /// <returns>The path to hand the kernel, and the directories searched.</returns>
    /// <exception cref="CommandNotFoundException">No directory has it.</exception>
    /// <exception cref="CommandPermissionException">Only files without execute permission were found.</exception>
    public static (string Path, IReadOnlyList<string> Searched) Resolve(Command command, string? pathVariable)
    {
        var name = command.Executable;
        if (name.Contains('/', StringComparison.Ordinal) || (OperatingSystem.IsWindows() && name.Contains('\\', StringComparison.Ordinal)))
        {
            // Relative paths are left to the kernel, which resolves them in the child's working directory.
            return (name, []);
        }

        if (command.ResolvedPath is { } resolved)
        {
            return (resolved, []);
        }

        var directories = Directories(pathVariable, command.WorkingDirectory);
        string? notExecutable = null;
        foreach (var directory in directories)
        {
            foreach (var candidate in Candidates(directory, name))
            {
                if (!File.Exists(candidate))
                {
                    continue;
                }

                if (IsExecutable(candidate))
                {
                    return (candidate, directories);
                }

                notExecutable ??= candidate;
            }
        }

        if (notExecutable is not null)
        {
            throw new CommandPermissionException(
                command, notExecutable, $"'{name}' was found in PATH as '{notExecutable}', but it is not executable (EACCES)");
        }

        throw new CommandNotFoundException(command, name, directories);
    }

    private static IEnumerable<string> Candidates(string directory, string name)
    {
        var path = Path.Join(directory, name);
        yield return path;
        if (OperatingSystem.IsWindows() && !Path.HasExtension(name))
        {
            var extensions = Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD";
            foreach (var extension in extensions.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return path + extension;
            }
        }
    }

    private static bool IsExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
