using System.Text;

namespace Gamut.Processes;

/// <summary>
/// What a finished command left: how it ended, when, and what it wrote to the streams that were captured
/// (<see cref="OutputTarget.Capture"/>, the default).
/// </summary>
public sealed class CommandResult
{
    private string? _stdout;
    private string? _stderr;

    internal CommandResult(
        Command command,
        int processId,
        ProcessExitStatus exitStatus,
        CommandStopReason stopReason,
        DateTimeOffset startTime,
        DateTimeOffset endTime,
        byte[] standardOutput,
        byte[] standardError,
        string standardErrorTail)
    {
        Command = command;
        ProcessId = processId;
        ExitStatus = exitStatus;
        StopReason = stopReason;
        StartTime = startTime;
        EndTime = endTime;
        StandardOutputBytes = standardOutput;
        StandardErrorBytes = standardError;
        StandardErrorTail = standardErrorTail;
    }

    /// <summary>The command that ran.</summary>
    public Command Command { get; }

    /// <summary>The process id it had.</summary>
    public int ProcessId { get; }

    /// <summary>How it ended.</summary>
    public ProcessExitStatus ExitStatus { get; }

    /// <summary>The exit code; 128 + the signal number when a signal ended it.</summary>
    public int ExitCode => ExitStatus.ExitCode;

    /// <summary>The signal that ended it, if one did.</summary>
    public int? Signal => ExitStatus.Signal;

    /// <summary>Why Gamut stopped it, or <see cref="CommandStopReason.None"/>.</summary>
    public CommandStopReason StopReason { get; }

    /// <summary>Whether it exited on its own with code 0.</summary>
    public bool IsSuccess => ExitStatus.IsSuccess && StopReason == CommandStopReason.None;

    /// <summary>When it started.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>When its process exited and its output was complete.</summary>
    public DateTimeOffset EndTime { get; }

    /// <summary>How long it ran.</summary>
    public TimeSpan Duration => EndTime - StartTime;

    /// <summary>The captured standard output (empty unless it was captured).</summary>
    public ReadOnlyMemory<byte> StandardOutputBytes { get; }

    /// <summary>The captured standard error (empty unless it was captured).</summary>
    public ReadOnlyMemory<byte> StandardErrorBytes { get; }

    /// <summary>The captured standard output as UTF-8 text.</summary>
    public string StandardOutput => _stdout ??= Encoding.UTF8.GetString(StandardOutputBytes.Span);

    /// <summary>The captured standard error as UTF-8 text.</summary>
    public string StandardError => _stderr ??= Encoding.UTF8.GetString(StandardErrorBytes.Span);

    /// <summary>The last 4 KiB of standard error, kept whenever it passed through Gamut (capture, stream or lines).</summary>
    public string StandardErrorTail { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Command}: {ExitStatus}";
}
