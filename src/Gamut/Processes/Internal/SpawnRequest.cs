using System.Runtime.InteropServices;

namespace Gamut.Processes.Internal;

/// <summary>Everything a spawner needs to start one child, already checked and resolved.</summary>
internal sealed class SpawnRequest
{
    public required Command Command { get; init; }

    /// <summary>The path handed to the kernel (resolved from PATH when the name had no '/').</summary>
    public required string Path { get; init; }

    /// <summary>argv[0]: the executable as the user wrote it.</summary>
    public required string ArgumentZero { get; init; }

    public required IReadOnlyList<string> Arguments { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    public ChildStdio Stdin { get; init; } = ChildStdio.Null;

    public ChildStdio Stdout { get; init; } = ChildStdio.Pipe;

    public ChildStdio Stderr { get; init; } = ChildStdio.Pipe;

    public IReadOnlyList<SafeHandle> InheritedHandles { get; init; } = [];

    public bool KillOnParentExit { get; init; } = true;

    /// <summary>The PATH directories searched to find <see cref="Path"/> (for error messages).</summary>
    public IReadOnlyList<string> SearchedDirectories { get; init; } = [];
}
