namespace Gamut.Cli.Run.Templates;

/// <summary>What a replacement string does to a value: <c>{}</c>, <c>{.}</c>, <c>{/}</c>, <c>{//}</c>, <c>{/.}</c>.</summary>
internal enum PathModifier
{
    None,

    /// <summary><c>{.}</c>: without its extension.</summary>
    NoExtension,

    /// <summary><c>{/}</c>: the base name.</summary>
    Basename,

    /// <summary><c>{//}</c>: the directory.</summary>
    Dirname,

    /// <summary><c>{/.}</c>: the base name without its extension.</summary>
    BasenameNoExtension,
}

/// <summary>The path arithmetic behind the modifiers, as GNU parallel's Perl does it (not as Path does).</summary>
internal static class PathModifiers
{
    public static string Apply(PathModifier modifier, string value) => modifier switch
    {
        PathModifier.NoExtension => RemoveExtension(value),
        PathModifier.Basename => Basename(value),
        PathModifier.Dirname => Dirname(value),
        PathModifier.BasenameNoExtension => RemoveExtension(Basename(value)),
        _ => value,
    };

    /// <summary><c>s:\.[^/.]*$::</c> — drop the last dot and what follows, unless a slash follows it.</summary>
    public static string RemoveExtension(string value)
    {
        var dot = value.LastIndexOf('.');
        if (dot < 0 || value.IndexOf('/', dot) >= 0)
        {
            return value;
        }

        return value[..dot];
    }

    /// <summary><c>s:.*/::</c> — everything after the last slash.</summary>
    public static string Basename(string value)
    {
        var slash = value.LastIndexOf('/');
        return slash < 0 ? value : value[(slash + 1)..];
    }

    /// <summary>Perl's File::Basename::dirname on Unix: <c>.</c> for a bare name, <c>/</c> for the root, trailing slashes ignored.</summary>
    public static string Dirname(string value)
    {
        var (dir, name) = FileParse(value);
        dir = StripTrailingSlashes(dir);
        if (name.Length == 0)
        {
            (dir, _) = FileParse(dir);
            dir = StripTrailingSlashes(dir);
        }

        return dir;
    }

    private static (string Dir, string Name) FileParse(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? ("./", path) : (path[..(slash + 1)], path[(slash + 1)..]);
    }

    private static string StripTrailingSlashes(string dir)
    {
        var end = dir.Length;
        while (end > 1 && dir[end - 1] == '/')
        {
            end--;
        }

        return dir[..end];
    }
}
