namespace Gamut.Executors;

/// <summary>
/// How one job runs: its id, timeout and retry policy. Immutable; derive variants with <c>with</c>.
/// Executors ignore what does not apply to them (an in-process executor has no queue).
/// </summary>
public sealed record JobOptions
{
    /// <summary>The defaults: a generated id, no timeout, one attempt.</summary>
    public static JobOptions Default { get; } = new();

    /// <summary>The job's id; generated when null. Submitting the same id twice to a queue is idempotent.</summary>
    public string? Id { get; init; }

    /// <summary>The per-attempt timeout; none when null. When it expires the job is stopped and fails with a timeout error.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>When and how often a failed attempt is retried.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;

    /// <summary>The queue to put the job on, for executors that have queues; their default when null.</summary>
    public string? Queue { get; init; }

    /// <summary>Run no earlier than this delay from now, for executors that schedule; at once when null.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>
    /// Where the job's progress reports (<see cref="Jobs.JobContext.ReportProgress"/>) go; dropped when null. In-process
    /// executors call it on the job's thread; executors that cross a boundary forward reports when they can.
    /// </summary>
    public IProgress<Jobs.JobProgress>? Progress { get; init; }

    /// <summary>
    /// The job's concurrency key (e.g. a customer id), for executors with per-key limits: on a Redis queue with a
    /// per-key limit N, at most N jobs with the same key run at once across every worker. None when null.
    /// 1–200 of <c>A–Z a–z 0–9 . _ - : +</c>.
    /// </summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (Timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), t, "A timeout must be positive.");
        }

        if (Delay is { } d && d < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Delay), d, "A delay cannot be negative.");
        }

        if (Id is not null && !Jobs.JobIds.IsValid(Id))
        {
            throw new ArgumentException($"'{Id}' is not a valid job id (1 to {Jobs.JobIds.MaxLength} ASCII letters, digits and . _ -)", nameof(Id));
        }

        if (ConcurrencyKey is not null && (ConcurrencyKey.Length is 0 or > 200
            || !ConcurrencyKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '+')))
        {
            throw new ArgumentException($"The concurrency key '{ConcurrencyKey}' is not 1-200 of A-Z a-z 0-9 . _ - : +", nameof(ConcurrencyKey));
        }

        Retry.Validate();
    }
}
