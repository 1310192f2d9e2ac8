using Gamut.Jobs;

namespace Gamut.Pool;

/// <summary>
/// The worker process running a job ended before the job's result reached the pool: it crashed, was killed, ran
/// out of memory, or aborted. Says how it ended and what it last wrote to stderr. The pool has already started a
/// replacement; other jobs are unaffected.
/// </summary>
public sealed class WorkerCrashedException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="workerId">The worker's number in its pool.</param>
    /// <param name="pid">The worker's process id.</param>
    /// <param name="exit">How the worker ended.</param>
    /// <param name="stderrTail">The worker's last stderr lines, oldest first.</param>
    /// <param name="wasRunning">Whether the job was running when the worker ended (false: it had finished, but its result was lost with the worker).</param>
    /// <param name="attempts">How many attempts ran.</param>
    public WorkerCrashedException(string jobName, string jobId, int workerId, int pid, WorkerExit exit, IReadOnlyList<string> stderrTail, bool wasRunning, int attempts = 1)
        : base(Describe(jobName, jobId, workerId, pid, exit, stderrTail, wasRunning, attempts))
    {
        JobName = jobName;
        JobId = jobId;
        WorkerId = workerId;
        Pid = pid;
        Exit = exit;
        StderrTail = stderrTail;
        WasRunning = wasRunning;
        Attempts = attempts;
    }

    /// <summary>The job's name.</summary>
    public string JobName { get; }

    /// <summary>The job's id.</summary>
    public string JobId { get; }

    /// <summary>The worker's number in its pool.</summary>
    public int WorkerId { get; }

    /// <summary>The worker's process id.</summary>
    public int Pid { get; }

    /// <summary>How the worker ended.</summary>
    public WorkerExit Exit { get; }

    /// <summary>The worker's last stderr lines (the .NET runtime writes its fatal errors there).</summary>
    public IReadOnlyList<string> StderrTail { get; }

    /// <summary>Whether the job was running when the worker ended; false when it had finished and only its result was lost.</summary>
    public bool WasRunning { get; }

    /// <summary>How many attempts ran before giving up.</summary>
    public int Attempts { get; }

    private static string Describe(string jobName, string jobId, int workerId, int pid, WorkerExit exit, IReadOnlyList<string> tail, bool wasRunning, int attempts)
    {
        var what = wasRunning ? "ended while running" : "ended before the result of";
        var text = $"Worker {workerId} (pid {pid}) {what} job '{jobName}' ({jobId}){(wasRunning ? "" : " reached the pool")}: {exit.Description}";
        if (attempts > 1)
        {
            text += $"; {attempts} attempts";
        }

        if (tail.Count > 0)
        {
            text += $". Its last stderr lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}";
        }

        return text;
    }
}
