using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>
/// A job was put on the dead-letter list without running to a result: its name is not registered on the worker,
/// its payload does not deserialize or is too large, or its workers died too often while running it.
/// (A job that threw on its last attempt is a <see cref="JobFailedException"/> instead.)
/// </summary>
public sealed class JobDeadLetteredException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="reason">The dead-letter reason (see docs/redis-protocol.md).</param>
    /// <param name="detail">The details.</param>
    public JobDeadLetteredException(string jobId, string reason, string detail)
        : base($"Job {jobId} was dead-lettered ({reason}): {detail}")
    {
        JobId = jobId;
        Reason = reason;
        Detail = detail;
    }

    /// <summary>The job's id.</summary>
    public string JobId { get; }

    /// <summary>The dead-letter reason, e.g. <c>unknown-job</c>, <c>bad-payload</c>, <c>too-large</c>, <c>worker-died</c>.</summary>
    public string Reason { get; }

    /// <summary>The details.</summary>
    public string Detail { get; }
}
