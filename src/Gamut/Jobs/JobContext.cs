using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Jobs;

/// <summary>
/// What a running job knows about its run: its id and name, which attempt this is, the token that
/// cancels it, a logger, and a way to report progress.
/// </summary>
/// <remarks>
/// Executors create one context per attempt. In-process executors make the context the run itself (a subclass
/// only Gamut can derive), so a trivial job costs one object; the id is then made the first time it is read.
/// </remarks>
public class JobContext
{
    private readonly IProgress<JobProgress>? _progress;
    private string? _jobId;

    /// <summary>Creates a context. Executors create these; tests of a job can too.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="jobName">The job's registered name, or a description for a delegate.</param>
    /// <param name="attempt">The attempt number, starting at 1.</param>
    /// <param name="cancellationToken">Cancelled when the job is cancelled, times out, or its executor stops.</param>
    /// <param name="logger">Where the job logs; a no-op logger when null.</param>
    /// <param name="progress">Where progress reports go; dropped when null.</param>
    public JobContext(
        string jobId,
        string jobName,
        int attempt = 1,
        CancellationToken cancellationToken = default,
        ILogger? logger = null,
        IProgress<JobProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        _jobId = jobId;
        JobName = jobName;
        Attempt = attempt;
        CancellationToken = cancellationToken;
        Logger = logger ?? NullLogger.Instance;
        _progress = progress;
    }

    // For executors' runs: trusted arguments, and an id that is made only when someone reads it.
    private protected JobContext(string jobName, int attempt, CancellationToken cancellationToken, ILogger logger, IProgress<JobProgress>? progress, string? jobId)
    {
        _jobId = jobId;
        JobName = jobName;
        Attempt = attempt;
        CancellationToken = cancellationToken;
        Logger = logger;
        _progress = progress;
    }

    /// <summary>The job's id (unique per submission; the same across retries).</summary>
    public string JobId => Volatile.Read(ref _jobId) ?? InitializeJobId();

    /// <summary>The job's registered name.</summary>
    public string JobName { get; }

    /// <summary>Which attempt this run is: 1 for the first, 2 for the first retry, and so on.</summary>
    public int Attempt { get; }

    /// <summary>Cancelled when the job is cancelled, times out, or its executor shuts down immediately.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>A logger for the job's own messages.</summary>
    public ILogger Logger { get; }

    /// <summary>Reports how far the job has got.</summary>
    /// <param name="fraction">From 0 to 1, or null when unknown.</param>
    /// <param name="message">A short description of the current step.</param>
    public void ReportProgress(double? fraction, string? message = null)
    {
        if (fraction is { } f && (double.IsNaN(f) || f < 0 || f > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Progress is a fraction from 0 to 1.");
        }

        _progress?.Report(new JobProgress(JobId, fraction, message));
    }

    // Two threads may race to make the id; the first one stored wins, so every reader sees the same id.
    private string InitializeJobId()
    {
        var id = CreateJobId();
        return Interlocked.CompareExchange(ref _jobId, id, null) ?? id;
    }

    /// <summary>Makes the id of a context created without one.</summary>
    private protected virtual string CreateJobId() => JobIds.New();
}
