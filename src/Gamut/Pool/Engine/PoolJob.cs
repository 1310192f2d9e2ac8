using Gamut.Executors;

namespace Gamut.Pool.Engine;

/// <summary>Where a job is in the pool.</summary>
internal enum PoolJobState
{
    /// <summary>In the pending queue.</summary>
    Queued,

    /// <summary>Waiting out a retry delay.</summary>
    Waiting,

    /// <summary>Sent to a worker; in its in-flight list.</summary>
    Dispatched,

    /// <summary>Answered (or orphaned by a dead worker) and being settled: about to retry, requeue or leave.</summary>
    Answered,

    /// <summary>Left the pool (finished, failed, cancelled).</summary>
    Gone,
}

/// <summary>
/// The unit the pool queues and sends to a worker: one job, or a range of a map chunk. All its mutable placement
/// fields are guarded by the pool's lock; its outcome is delivered once (<see cref="TryFinish"/>).
/// </summary>
internal abstract class PoolJob
{
    private int _finished;

    protected PoolJob(int jobIndex, string name, string id, int attempt, JobOptions options, byte[] payload, bool raw)
    {
        RawPayload = raw;
        JobIndex = jobIndex;
        Name = name;
        Id = id;
        Attempt = attempt;
        Options = options;
        Payload = payload;
    }

    public int JobIndex { get; }

    public string Name { get; }

    public string Id { get; }

    public JobOptions Options { get; }

    public int Attempt { get; set; }

    /// <summary>The serialized input (a chunk: the serialized array of its inputs).</summary>
    public byte[] Payload { get; set; }

    /// <summary>Whether <see cref="Payload"/> is raw bytes (see <c>RawValues</c>) rather than serialized.</summary>
    public bool RawPayload { get; }

    /// <summary>The result must come back serialized, never raw (the caller keeps it as bytes).</summary>
    public bool SerializedResult { get; init; }

    /// <summary>The submitter's trace context, sent with the job so the worker's span is its child; null when untraced.</summary>
    public PoolTrace? Trace { get; init; }

    /// <summary>A unit seen to run quickly (a quick map chunk): it may share a frame with others.</summary>
    public bool Quick { get; init; }

    /// <summary>Whether this is the last unit of the frame it was sent in (guarded by the pool's lock).</summary>
    public bool LastOfFrame { get; set; }

    /// <summary>The dispatch sequence number; a new one each time the job is sent.</summary>
    public long Seq { get; set; }

    public PoolJobState State { get; set; }

    public WorkerHandle? Worker { get; set; }

    public LinkedListNode<PoolJob>? QueueNode { get; set; }

    /// <summary>
    /// When the unit was last handed to a worker or answered (Stopwatch ticks), for <c>gamut.job.duration</c>; 0 when
    /// durations are not recorded (see <see cref="PoolMetrics"/>).
    /// </summary>
    public long MarkedAt { get; set; }

    /// <summary>When a cancel of this dispatched job was asked (Stopwatch ticks); 0 when none.</summary>
    public long CancelRequestedAt { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    public abstract bool IsChunk { get; }

    /// <summary>How many inputs travel in this unit (1 for a single job).</summary>
    public abstract int ItemCount { get; }

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>Claims the right to deliver this unit's final outcome; false when it was already delivered.</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;
}
