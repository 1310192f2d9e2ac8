using Gamut.Jobs;
using Gamut.Redis.Keys;

namespace Gamut.Redis;

/// <summary>How a <see cref="RedisExecutor"/> submits and waits. Immutable; derive variants with <c>with</c>.</summary>
public sealed record RedisExecutorOptions
{
    /// <summary>The queue jobs go to when <see cref="Executors.JobOptions.Queue"/> is not set.</summary>
    public string Queue { get; init; } = KeyNames.DefaultQueue;

    /// <summary>Turns inputs and results into bytes; workers must use the same format.</summary>
    public IJobSerializer Serializer { get; init; } = JsonJobSerializer.Default;

    /// <summary>The jobs the client knows (optional: a client may refer to jobs only its workers have, by name).</summary>
    public JobRegistry? Registry { get; init; }

    /// <summary>The default map window: jobs submitted and not yet consumed.</summary>
    public int MapWindow { get; init; } = 1000;

    /// <summary>How many jobs travel in one enqueue script call.</summary>
    public int EnqueueBatchSize { get; init; } = 500;

    /// <summary>
    /// How often the records of awaited jobs are re-read, in case a completion message was lost: also how soon a
    /// waiter learns that Redis lost its job.
    /// </summary>
    public TimeSpan WaitCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        KeyNames.ValidateQueue(Queue);
        ArgumentNullException.ThrowIfNull(Serializer);
        ArgumentOutOfRangeException.ThrowIfLessThan(MapWindow, 1, nameof(MapWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(EnqueueBatchSize, 1, nameof(EnqueueBatchSize));
        if (WaitCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(WaitCheckInterval), WaitCheckInterval, "Must be positive.");
        }
    }
}
