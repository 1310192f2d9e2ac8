namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The checker's counts (RELIABILITY.md §3.1). The first eleven are the specification's one-line tally; the rest
/// say where duplicates and losses came from.
/// </summary>
public sealed record Tally
{
    public int Submitted { get; init; }

    public int Acked { get; init; }

    public int Indeterminate { get; init; }

    public int Executed { get; init; }

    /// <summary>Acknowledged, and neither a result nor a dead-letter entry after drain.</summary>
    public int Lost { get; init; }

    /// <summary>Executed, and no result (nor a failure) recorded.</summary>
    public int LostResult { get; init; }

    /// <summary>Σ (executions − 1) per job, from the execution logs outside Redis.</summary>
    public int Duplicates { get; init; }

    /// <summary>Executed but never submitted.</summary>
    public int Unexpected { get; init; }

    /// <summary>Jobs not finished after drain: ready, delayed, running or held by a dead worker (from <c>gamut status</c>'s bookkeeping).</summary>
    public int Stuck { get; init; }

    public int DeadLettered { get; init; }

    /// <summary>Duplicates Redis counted (<c>stats.duplicates</c>, what <c>gamut status</c> shows).</summary>
    public int ReportedDuplicates { get; init; }

    /// <summary>Submissions Redis refused with certainty (a full Redis): no job.</summary>
    public int Failed { get; init; }

    /// <summary>Lost jobs whose waiting client was told so (<see cref="JobLostException"/>).</summary>
    public int LostReported { get; init; }

    /// <summary>Job records in Redis (RQ-7: one per logical submission, however often an enqueue was retried).</summary>
    public int Records { get; init; }

    /// <summary>Jobs Redis counted as created (<c>stats.enqueued</c>).</summary>
    public int Enqueued { get; init; }

    /// <summary>Duplicate executions Redis saw and rejected (its bounded duplicate log).</summary>
    public int ObservedDuplicates { get; init; }

    /// <summary>Rejected completions that match no logged execution (must be 0).</summary>
    public int PhantomDuplicates { get; init; }

    /// <summary>Duplicate executions Redis never saw, on processes the test killed (they died before recording).</summary>
    public int UnobservedOnKilled { get; init; }

    /// <summary>Duplicate executions neither reported by Redis nor on a killed process (must be 0).</summary>
    public int Unaccounted { get; init; }

    /// <summary>Jobs whose recorded result has no execution with the recorded fencing token, or more than one.</summary>
    public int WinnerMismatch { get; init; }

    /// <summary>What the consistency scan found: records with no list entry for their state, list entries with no record.</summary>
    public int Inconsistent { get; init; }

    public override string ToString() =>
        $"submitted={Submitted} acked={Acked} indeterminate={Indeterminate} executed={Executed} lost={Lost} lost_result={LostResult} " +
        $"duplicates={Duplicates} unexpected={Unexpected} stuck={Stuck} dead_lettered={DeadLettered} reported_duplicates={ReportedDuplicates} | " +
        $"failed={Failed} lost_reported={LostReported} records={Records} enqueued={Enqueued} observed={ObservedDuplicates} phantom={PhantomDuplicates} " +
        $"unobserved_on_killed={UnobservedOnKilled} unaccounted={Unaccounted} winner_mismatch={WinnerMismatch} inconsistent={Inconsistent}";
}
