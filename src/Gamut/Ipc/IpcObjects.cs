namespace Gamut.Ipc;

/// <summary>
/// Names of cross-process objects, and their removal. An object lives in a file on tmpfs (/dev/shm) named after
/// it, like POSIX shared memory: it outlives the processes that use it until it is deleted.
/// </summary>
public static class IpcObjects
{
    /// <summary>The longest name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Whether an object with this name exists.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="InvalidIpcNameException">The name is not valid.</exception>
    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>Deletes the object's name. Processes that have it open keep using it; new opens fail.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Whether there was such an object.</returns>
    /// <exception cref="InvalidIpcNameException">The name is not valid.</exception>
    public static bool Delete(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Throws <see cref="InvalidIpcNameException"/> when <paramref name="name"/> cannot name an object.</summary>
    /// <param name="name">The candidate.</param>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new InvalidIpcNameException(name, "it is empty");
        }

        if (name.Length > MaxNameLength)
        {
            throw new InvalidIpcNameException(name, $"it is {name.Length} characters long; the limit is {MaxNameLength}");
        }

        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new InvalidIpcNameException(name, "it contains '/'");
        }

        if (name[0] == '.')
        {
            throw new InvalidIpcNameException(name, "it starts with '.'");
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                throw new InvalidIpcNameException(name, $"it contains '{c}' (use letters, digits, '.', '_' and '-')");
            }
        }
    }

    internal static string PathOf(string name)
    {
        Validate(name);
        return Path.Combine(Native.MappedRegion.SharedMemoryDirectory, "gamut." + name);
    }
}
