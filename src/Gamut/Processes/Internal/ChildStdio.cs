namespace Gamut.Processes.Internal;

/// <summary>What one of the child's descriptors 0, 1, 2 is connected to.</summary>
internal enum StdioKind
{
    /// <summary>The parent's own descriptor of the same number.</summary>
    Inherit,

    /// <summary><c>/dev/null</c>.</summary>
    Null,

    /// <summary>A new pipe whose other end the parent keeps (<see cref="IChildHandle"/>'s pipe ends).</summary>
    Pipe,

    /// <summary>A file opened for the child.</summary>
    File,

    /// <summary>A descriptor the caller owns (a pipe between two children of a pipeline).</summary>
    Descriptor,

    /// <summary>For stderr: whatever stdout is connected to.</summary>
    SameAsStdout,
}

/// <summary>One of the child's standard descriptors.</summary>
internal readonly record struct ChildStdio(StdioKind Kind, string? Path = null, bool Append = false, ChildDescriptor? Descriptor = null)
{
    public static ChildStdio Inherit => new(StdioKind.Inherit);

    public static ChildStdio Null => new(StdioKind.Null);

    public static ChildStdio Pipe => new(StdioKind.Pipe);
}
