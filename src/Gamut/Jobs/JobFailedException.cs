namespace Gamut.Jobs;

/// <summary>
/// A job ran and threw. <see cref="Error"/> carries the original exception's type name, message and stack
/// (as text, wherever the job ran); <see cref="Exception.InnerException"/> is the original exception
/// itself when the job ran in this process.
/// </summary>
public sealed class JobFailedException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="error">The original failure.</param>
    /// <param name="attempts">How many attempts ran.</param>
    /// <param name="innerException">The original exception, when it was thrown in this process.</param>
    public JobFailedException(string jobName, string jobId, JobError error, int attempts = 1, Exception? innerException = null)
        : base($"Job '{jobName}' ({jobId}) failed{(attempts > 1 ? $" after {attempts} attempts" : "")}: {error.Type}: {error.Message}", innerException)
    {
        JobName = jobName;
        JobId = jobId;
        Error = error;
        Attempts = attempts;
    }

    /// <summary>The job's name.</summary>
    public string JobName { get; }

    /// <summary>The job's id.</summary>
    public string JobId { get; }

    /// <summary>The original failure, as text.</summary>
    public JobError Error { get; }

    /// <summary>The full type name of the original exception.</summary>
    public string RemoteType => Error.Type;

    /// <summary>The original exception's stack trace, where the job ran.</summary>
    public string? RemoteStackTrace => Error.StackTrace;

    /// <summary>How many attempts ran before giving up.</summary>
    public int Attempts { get; }
}
