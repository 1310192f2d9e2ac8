using Gamut.Jobs;
using Gamut.Redis.Keys;

namespace Gamut.Redis;

/// <summary>Where a worker runs the jobs it takes.</summary>
public enum WorkerIsolation
{
    /// <summary>On the worker's own threads (the Threads executor): fastest; a job that crashes the process takes the worker with it (its jobs are then reaped and run elsewhere).</summary>
    Threads,

    /// <summary>In a pool of worker processes: a job that crashes, leaks or hangs is contained, and a cancelled or timed-out job's process is stopped.</summary>
    Processes,
}

/// <summary>How a <see cref="RedisWorker"/> works. Immutable; derive variants with <c>with</c>.</summary>
public sealed record RedisWorkerOptions
{
    /// <summary>The queues to serve, highest priority first: a free slot always takes from the first non-empty one.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [KeyNames.DefaultQueue];

    /// <summary>The most jobs running at once.</summary>
    public int Concurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>The jobs this worker runs; any other name is dead-lettered as <c>unknown-job</c>.</summary>
    public JobRegistry Registry { get; init; } = new();

    /// <summary>Reads inputs and writes results; clients must use the same format.</summary>
    public IJobSerializer Serializer { get; init; } = JsonJobSerializer.Default;

    /// <summary>Where jobs run.</summary>
    public WorkerIsolation Isolation { get; init; } = WorkerIsolation.Threads;

    /// <summary>
    /// With <see cref="WorkerIsolation.Processes"/>: the pool's <see cref="Gamut.Pool.ProcessPoolOptions.WorkerSetup"/>,
    /// a class implementing <see cref="Gamut.Pool.IPoolWorkerSetup"/> that builds the jobs in each pool worker process
    /// (through a DI container, say); none when null (each job's parameterless constructor).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type? WorkerSetup { get; init; }

    /// <summary>At shutdown, how long running jobs may take to finish before they are cancelled and handed back to their queue.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks at its queues even without a wake-up message (which PUB/SUB may drop).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most jobs taken in one round trip.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>The worker's id; <c>host-pid-random</c> when null.</summary>
    public string? WorkerId { get; init; }

    /// <summary>
    /// Whether the worker also keeps the schedules (recurring jobs, <see cref="RedisSchedules"/>) of the queues it
    /// serves: enqueues one job per tick, together with every other worker doing so (default true; on a ring of
    /// instances schedules are not kept).
    /// </summary>
    public bool KeepSchedules { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Queues);
        if (Queues.Count == 0)
        {
            throw new ArgumentException("A worker serves at least one queue.", nameof(Queues));
        }

        foreach (var queue in Queues)
        {
            KeyNames.ValidateQueue(queue);
        }

        if (Queues.Distinct(StringComparer.Ordinal).Count() != Queues.Count)
        {
            throw new ArgumentException("A queue is listed twice.", nameof(Queues));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Concurrency, 1, nameof(Concurrency));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentNullException.ThrowIfNull(Registry);
        ArgumentNullException.ThrowIfNull(Serializer);
        if (ShutdownTimeout < TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), "Timeouts must be positive.");
        }

        if (WorkerId is not null && !KeyNames.IsValidQueue(WorkerId))
        {
            throw new ArgumentException($"'{WorkerId}' is not a valid worker id (ASCII letters, digits and . _ -)", nameof(WorkerId));
        }
    }
}
