using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>A job as the front end sees it: its number, inputs, composed command line, slot and the spec that runs it.</summary>
internal sealed class PlannedJob
{
    public required long Seq { get; init; }

    public required string[] Values { get; init; }

    /// <summary>The command line as the shell would read it (what <c>--dry-run</c> prints and the joblog records).</summary>
    public required string CommandLine { get; init; }

    public required int Slot { get; init; }

    public required CommandSpec Spec { get; init; }

    /// <summary>Where the spec's program was found on PATH (run without a shell), so a local run does not search again.</summary>
    public string? Program { get; init; }

    /// <summary>The <c>--tag</c>/<c>--tagstring</c> prefix with its tab; null when not tagging.</summary>
    public byte[]? Tag { get; init; }

    /// <summary>The bytes given on the job's stdin (<c>--pipe</c>), the joblog's Send column.</summary>
    public long Sent { get; init; }

    /// <summary>Set when the scheduler stopped the job for running past its <c>--timeout</c>.</summary>
    public bool TimedOutByScheduler { get; set; }

    /// <summary>Stops this job alone (a <c>--timeout</c> the scheduler keeps), on top of the run's own stop.</summary>
    public CancellationTokenSource? Stop { get; set; }

    /// <summary>Attempts made so far (<c>--retries</c>).</summary>
    public int Attempt { get; set; }
}

/// <summary>A job after its last attempt, in GNU parallel's terms (what the joblog and the exit status use).</summary>
/// <param name="Job">The job.</param>
/// <param name="Outcome">How its last attempt ended; its output when captured.</param>
/// <param name="ExitValue">The exit code; 0 when a signal ended it; -1 when it timed out or could not run.</param>
/// <param name="Signal">The signal that ended it, else 0.</param>
/// <param name="Error">Why it could not be run at all, if so.</param>
internal sealed record FinishedJob(PlannedJob Job, CommandOutcome Outcome, int ExitValue, int Signal, string? Error)
{
    public bool Failed => ExitValue != 0 || Signal != 0;
}
