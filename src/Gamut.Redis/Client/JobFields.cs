namespace Gamut.Redis;

/// <summary>The fields of a job's hash (docs/redis-protocol.md). Short, because there is one hash per job.</summary>
internal static class JobFields
{
    public const string Name = "n";
    public const string Payload = "p";
    public const string State = "s";
    public const string Created = "c";
    public const string Deliveries = "a";
    public const string Failures = "fl";
    public const string Lost = "l";
    public const string MaxAttempts = "m";
    public const string TimeoutMs = "to";
    public const string Backoff = "rb";
    public const string Watchers = "x";
    public const string Worker = "w";
    public const string Started = "st";
    public const string Finished = "fin";
    public const string Result = "r";
    public const string Error = "e";
    public const string Progress = "g";
    public const string CancelRequested = "cx";
    public const string TraceParent = "tp";

    /// <summary>The job's concurrency key (at most the queue's per-key limit of jobs with one key run at once).</summary>
    public const string ConcurrencyKey = "ck";
    public const string TraceState = "ts";

    /// <summary>The host of the worker holding the job, from its heartbeat when it took it (for the attempt history).</summary>
    public const string WorkerHost = "wh";

    /// <summary>The process id of the worker holding the job, from its heartbeat when it took it.</summary>
    public const string WorkerPid = "wp";
}
