namespace Gamut.Processes.Internal;

/// <summary>Turns a <see cref="Command"/> and the wiring of its standard descriptors into a <see cref="SpawnRequest"/>.</summary>
internal static class LaunchPlanner
{
    public static SpawnRequest Plan(Command command, ChildStdio stdin, ChildStdio stdout, ChildStdio stderr)
    {
        var environment = BuildEnvironment(command, out var pathVariable);
        var (path, searched) = ExecutableResolver.Resolve(command, pathVariable);
        return new SpawnRequest
        {
            Command = command,
            Path = path,
            ArgumentZero = command.Executable,
            Arguments = command.Arguments,
            Environment = environment,
            WorkingDirectory = command.WorkingDirectory,
            Stdin = stdin,
            Stdout = stdout,
            Stderr = stderr,
            InheritedHandles = command.InheritedHandles,
            KillOnParentExit = command.KillOnParentExit,
            SearchedDirectories = searched,
        };
    }

    /// <summary>
    /// The child's environment: the parent's (as .NET sees it, so <c>Environment.SetEnvironmentVariable</c>
    /// counts) unless cleared, with the command's changes applied.
    /// </summary>
    private static List<KeyValuePair<string, string>> BuildEnvironment(Command command, out string? pathVariable)
    {
        var changes = command.EnvironmentChanges;
        var result = new List<KeyValuePair<string, string>>(command.InheritsEnvironment ? 64 : changes.Count);
        pathVariable = null;
        if (command.InheritsEnvironment)
        {
            // IDictionaryEnumerator's Key and Value do not box a DictionaryEntry per variable.
            var entries = Environment.GetEnvironmentVariables().GetEnumerator();
            while (entries.MoveNext())
            {
                var name = (string)entries.Key;
                if (changes.Count > 0 && changes.ContainsKey(name))
                {
                    continue;
                }

                var value = (string?)entries.Value ?? "";
                result.Add(new(name, value));
                if (name == "PATH")
                {
                    pathVariable = value;
                }
            }
        }

        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                continue;
            }

            result.Add(new(name, value));
            if (name == "PATH")
            {
                pathVariable = value;
            }
        }

        return result;
    }
}
