using Gamut.Jobs;

namespace Gamut.Pool;

/// <summary>
/// Workers keep dying as they start (a poison initializer, a missing runtime, a memory limit below what a worker
/// needs, ...): more than <see cref="ProcessPoolOptions.RestartIntensity"/> start failures within
/// <see cref="ProcessPoolOptions.RestartPeriod"/>. The pool stops restarting (instead of respawning forever) and
/// fails the work no worker can take with this error; it tries again once a period has passed.
/// </summary>
public sealed class WorkerCrashLoopException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="failures">Start failures counted within the period.</param>
    /// <param name="period">The period.</param>
    /// <param name="lastReason">Why the last worker failed to start.</param>
    /// <param name="lastExit">How the last worker ended, when it ran at all.</param>
    /// <param name="stderrTail">Its last stderr lines.</param>
    public WorkerCrashLoopException(int failures, TimeSpan period, string lastReason, WorkerExit? lastExit, IReadOnlyList<string> stderrTail)
        : base(Describe(failures, period, lastReason, stderrTail))
    {
        Failures = failures;
        Period = period;
        LastReason = lastReason;
        LastExit = lastExit;
        StderrTail = stderrTail;
    }

    /// <summary>Start failures counted within the period.</summary>
    public int Failures { get; }

    /// <summary>The period they were counted in.</summary>
    public TimeSpan Period { get; }

    /// <summary>Why the last worker failed to start.</summary>
    public string LastReason { get; }

    /// <summary>How the last worker ended, when it ran at all.</summary>
    public WorkerExit? LastExit { get; }

    /// <summary>The last worker's final stderr lines.</summary>
    public IReadOnlyList<string> StderrTail { get; }

    private static string Describe(int failures, TimeSpan period, string reason, IReadOnlyList<string> tail)
    {
        var text = $"Workers keep dying: {failures} failed to start within {period.TotalSeconds:0.#} s, so the pool stopped restarting them. The last one: {reason}";
        if (tail.Count > 0)
        {
            text += $". Its last stderr lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}";
        }

        return text;
    }
}
