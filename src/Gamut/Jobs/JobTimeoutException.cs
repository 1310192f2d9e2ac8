namespace Gamut.Jobs;

/// <summary>A job ran longer than its timeout and was stopped.</summary>
public sealed class JobTimeoutException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="timeout">The timeout that expired.</param>
    /// <param name="detail">How the job was stopped, when that says more (e.g. "worker 3 got SIGTERM, then SIGKILL").</param>
    public JobTimeoutException(string jobName, string jobId, TimeSpan timeout, string? detail = null)
        : base($"Job '{jobName}' ({jobId}) timed out after {timeout.TotalSeconds:0.###} s{(detail is null ? "" : $"; {detail}")}")
    {
        JobName = jobName;
        JobId = jobId;
        Timeout = timeout;
    }

    /// <summary>The job's name.</summary>
    public string JobName { get; }

    /// <summary>The job's id.</summary>
    public string JobId { get; }

    /// <summary>The timeout that expired.</summary>
    public TimeSpan Timeout { get; }
}
