namespace Gamut.Jobs.Commands;

/// <summary>
/// What a command job gives back: how the command ended and what it printed. A non-zero exit is an outcome,
/// not an error — the caller decides what it means.
/// </summary>
public sealed record CommandOutcome
{
    /// <summary>The exit code; 128 + the signal number when a signal ended it (as a shell reports it).</summary>
    public required int ExitCode { get; init; }

    /// <summary>The signal that ended the command, if one did.</summary>
    public int? Signal { get; init; }

    /// <summary>Whether the command was stopped because its timeout expired.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Everything written to stdout.</summary>
    public byte[] Stdout { get; init; } = [];

    /// <summary>Everything written to stderr.</summary>
    public byte[] Stderr { get; init; } = [];

    /// <summary>When the command started.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset EndTime { get; init; }

    /// <summary>How long it ran.</summary>
    public TimeSpan Duration => EndTime - StartTime;
}
