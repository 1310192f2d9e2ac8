namespace Gamut.Executors;

/// <summary>How a map runs. Immutable; derive variants with <c>with</c>.</summary>
public sealed record MapOptions
{
    /// <summary>The defaults: in order, the executor's window, automatic chunks.</summary>
    public static MapOptions Default { get; } = new();

    /// <summary>Yield outcomes in input order (the default), or as they complete.</summary>
    public bool Ordered { get; init; } = true;

    /// <summary>
    /// The most inputs submitted whose outcomes are not yet consumed: the back-pressure window.
    /// Null: the executor's choice (about twice its concurrency).
    /// </summary>
    public int? MaxInFlight { get; init; }

    /// <summary>How many inputs travel together to a worker process (like multiprocessing's chunksize); automatic when null.</summary>
    public int? ChunkSize { get; init; }

    /// <summary>Options applied to every job of the map (its id is ignored: each job gets its own).</summary>
    public JobOptions Job { get; init; } = JobOptions.Default;

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxInFlight is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, "The window is at least 1.");
        }

        if (ChunkSize is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "A chunk holds at least 1 input.");
        }

        Job.Validate();
    }
}
