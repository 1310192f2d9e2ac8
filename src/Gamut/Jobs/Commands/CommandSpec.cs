namespace Gamut.Jobs.Commands;

/// <summary>
/// A command as data, so it can cross a boundary as a job's input: what the built-in command job
/// (<c>gamut.command</c>) runs. The executable and arguments are passed to the operating system as they are;
/// no shell runs unless <see cref="Shell"/> names one.
/// </summary>
public sealed record CommandSpec
{
    /// <summary>The executable: a path, or a name looked up on <c>PATH</c>.</summary>
    public required string Executable { get; init; }

    /// <summary>The arguments, each passed as one argv element; none when absent or null (optional in the protocol).</summary>
    // A payload may leave "arguments" out or send null (docs/protocol.md): both mean no arguments. The source-generated
    // reader can hand the setter a null, so the setter normalises it rather than the runner failing later.
    public IReadOnlyList<string> Arguments { get; init => field = value ?? []; } = [];

    /// <summary>
    /// When set, <see cref="Executable"/> is a script run by this shell (e.g. <c>/bin/sh</c>) as
    /// <c>shell -c script</c>, with <see cref="Arguments"/> as <c>$0 $1 …</c>. Null (the default): no shell.
    /// </summary>
    public string? Shell { get; init; }

    /// <summary>The working directory; the worker's own when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment changes: a value sets a variable, null unsets it.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Text written to the command's standard input; an empty stdin when null.</summary>
    public byte[]? Stdin { get; init; }

    /// <summary>Stop the command after this many seconds (SIGTERM to its process group, then SIGKILL after the grace period).</summary>
    public double? TimeoutSeconds { get; init; }

    /// <summary>Seconds between SIGTERM and SIGKILL when stopping; the subprocess layer's default when null.</summary>
    public double? GraceSeconds { get; init; }

    /// <summary>The most bytes of stdout and of stderr kept each; output past it fails the command.</summary>
    public long? OutputLimitBytes { get; init; }
}
