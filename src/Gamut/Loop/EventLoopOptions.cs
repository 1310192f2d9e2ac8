using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Loop;

/// <summary>Settings of an <see cref="EventLoop"/>. Immutable; derive variants with <c>with</c>.</summary>
public sealed record EventLoopOptions
{
    /// <summary>The defaults.</summary>
    public static EventLoopOptions Default { get; } = new();

    /// <summary>The loop thread's name (seen in debuggers and dumps).</summary>
    public string ThreadName { get; init; } = "gamut-loop";

    /// <summary>
    /// A handler that runs longer than this blocks every other handler on the loop; the watchdog then logs a
    /// warning, raises <see cref="EventLoop.Blocked"/> and counts <c>gamut.loop.blocked</c>. Null: no watchdog.
    /// The default, 100 ms, is asyncio's slow-callback threshold.
    /// </summary>
    public TimeSpan? BlockedThreshold { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The jobs the loop may run as an executor; an empty registry when null.</summary>
    public JobRegistry? Registry { get; init; }

    /// <summary>Where the loop and its jobs log.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ThreadName);
        if (BlockedThreshold is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BlockedThreshold), t, "The threshold must be positive (or null for no watchdog).");
        }
    }
}
