namespace Gamut.Ipc;

/// <summary>The base of the errors about cross-process objects.</summary>
public class IpcException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="name">The object's name.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public IpcException(string name, string message, Exception? innerException = null)
        : base(message, innerException) => Name = name;

    /// <summary>The object's name.</summary>
    public string Name { get; }
}

/// <summary>No cross-process object has this name (it was never created, or was deleted).</summary>
public sealed class IpcObjectNotFoundException(string name, string kind)
    : IpcException(name, $"No {kind} named '{name}' exists (create it first, or check the name)");

/// <summary>An object with this name exists already.</summary>
public sealed class IpcObjectExistsException(string name)
    : IpcException(name, $"A cross-process object named '{name}' exists already (open it, or delete it first)");

/// <summary>
/// The object exists but is not what the caller expects: another kind (a lock opened as a queue), another element
/// size (a shared array of 8-byte values opened for 4-byte ones), or not a Gamut object at all.
/// </summary>
public sealed class IpcLayoutMismatchException(string name, string message) : IpcException(name, message);

/// <summary>A name that cannot name a cross-process object: empty, too long, or with a character other than letters, digits, '.', '_' and '-' (no '/').</summary>
public sealed class InvalidIpcNameException(string name, string reason)
    : ArgumentException($"'{(name.Length > 80 ? name[..80] + "…" : name)}' is not a valid name for a cross-process object: {reason}", nameof(name))
{
    /// <summary>The rejected name.</summary>
    public string Name { get; } = name;
}
