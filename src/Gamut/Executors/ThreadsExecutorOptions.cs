using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

/// <summary>Settings of a <see cref="ThreadsExecutor"/>. Immutable; derive variants with <c>with</c>.</summary>
public sealed record ThreadsExecutorOptions
{
    /// <summary>The most jobs running at once; the number of cores when null.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Run on threads of the executor's own (one per slot) instead of the shared thread pool.</summary>
    public bool DedicatedThreads { get; init; }

    /// <summary>The jobs the executor may run; an empty registry when null.</summary>
    public JobRegistry? Registry { get; init; }

    /// <summary>Where jobs log.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxConcurrency is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "At least one job at a time.");
        }
    }
}
