namespace Gamut.Cli.Run.Options;

/// <summary>
/// Where options come from besides the command line, as in GNU parallel: profile files (by default
/// <c>/etc/parallel/config</c>, <c>config</c> in each configuration directory and <c>~/.parallelrc</c>; with
/// <c>-J NAME</c> the file NAME there instead), then <c>$PARALLEL</c>. Each is split into shell words; lines
/// starting with <c>#</c> are comments. <c>--plain</c> ignores them all. A missing default profile is fine; a
/// missing <c>-J</c> profile is an error.
/// </summary>
internal static class OptionSources
{
    /// <summary>The option words that come before the command line's, in the order they are applied.</summary>
    public static List<List<string>> Read(IReadOnlyList<string> profiles, bool plain, Func<string, string?> env)
    {
        var result = new List<List<string>>();
        if (plain)
        {
            return result;
        }

        var dirs = ConfigDirectories(env);
        var home = env("HOME") ?? "";
        if (profiles.Count == 0)
        {
            foreach (var file in (string[])["/etc/parallel/config", .. dirs.Select(d => Path.Combine(d, "config")), Path.Combine(home, ".parallelrc")])
            {
                if (File.Exists(file))
                {
                    result.Add(ReadProfile(file));
                }
            }
        }
        else
        {
            foreach (var name in profiles)
            {
                var candidates = name.StartsWith('/') || name.StartsWith("./", StringComparison.Ordinal)
                    ? [name]
                    : dirs.Select(d => Path.Combine(d, name)).ToList();
                var found = candidates.Where(File.Exists).ToList();
                if (found.Count == 0)
                {
                    throw new UsageException($"profile '{name}' not found (looked in {string.Join(", ", dirs.DefaultIfEmpty(Path.Combine(home, ".parallel")))})");
                }

                foreach (var file in found)
                {
                    result.Add(ReadProfile(file));
                }
            }
        }

        foreach (var variable in (string[])["PARALLEL", "PARALLEL_CSH"])
        {
            if (env(variable) is { Length: > 0 } value)
            {
                result.Add(ShellWords.Split(value, $"${variable}"));
            }
        }

        return result;
    }

    // $PARALLEL_HOME, $XDG_CONFIG_HOME/parallel, each $XDG_CONFIG_DIRS/parallel, ~/.parallel: those that exist.
    private static List<string> ConfigDirectories(Func<string, string?> env)
    {
        var candidates = new List<string?> { env("PARALLEL_HOME") };
        if (env("XDG_CONFIG_HOME") is { Length: > 0 } xdg)
        {
            candidates.Add(Path.Combine(xdg, "parallel"));
        }

        foreach (var d in (env("XDG_CONFIG_DIRS") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(d, "parallel"));
        }

        if (env("HOME") is { Length: > 0 } home)
        {
            candidates.Add(Path.Combine(home, ".parallel"));
        }

        return candidates.Where(d => !string.IsNullOrEmpty(d) && Directory.Exists(d)).Select(d => d!).ToList();
    }

    private static List<string> ReadProfile(string file)
    {
        var words = new List<string>();
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.TrimStart().StartsWith('#'))
                {
                    continue;
                }

                words.AddRange(ShellWords.Split(line, $"profile '{file}'"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read profile '{file}': {e.Message}");
        }

        return words;
    }
}
