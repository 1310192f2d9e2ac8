namespace Gamut.Processes;

/// <summary>How <see cref="CommandBatch"/> runs many commands.</summary>
public sealed record CommandBatchOptions
{
    private readonly int _maxConcurrency = Environment.ProcessorCount;

    /// <summary>How many commands run at once (default: the number of processors).</summary>
    public int MaxConcurrency
    {
        get => _maxConcurrency;
        init => _maxConcurrency = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), value, "At least one command must be allowed to run.");
    }

    /// <summary>
    /// Whether results come in input order (like GNU parallel's <c>-k</c>) instead of as they complete.
    /// Ordered results are held back behind a slow one; at most <c>2 × MaxConcurrency</c> wait.
    /// </summary>
    public bool Ordered { get; init; }
}
