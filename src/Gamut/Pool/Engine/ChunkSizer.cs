using System.Diagnostics;

namespace Gamut.Pool.Engine;

/// <summary>
/// Chooses how many map inputs travel together. Fixed when the caller says; otherwise it starts with single
/// inputs (no wasted parallelism on slow jobs) and grows each chunk toward about <see cref="Target"/> of work,
/// from the time chunks actually take, up to <see cref="Max"/> (tiny jobs get large chunks and pay the channel once
/// per chunk, as multiprocessing's chunksize does).
/// </summary>
internal sealed class ChunkSizer(int? fixedSize)
{
    public const int Max = 8192;
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(5);
    private double _perItemTicks = -1;

    public int Size { get; private set; } = fixedSize ?? 1;

    public bool IsFixed => fixedSize is not null;

    public void Observe(int items, long dispatchedAt, long completedAt)
    {
        if (fixedSize is not null || items == 0 || dispatchedAt == 0 || completedAt <= dispatchedAt)
        {
            return;
        }

        var perItem = (double)(completedAt - dispatchedAt) / items;
        _perItemTicks = _perItemTicks < 0 ? perItem : (_perItemTicks * 0.5) + (perItem * 0.5);
        var target = Target.TotalSeconds * Stopwatch.Frequency;
        var next = (int)Math.Clamp(target / Math.Max(_perItemTicks, 1), 1, Max);
        // Grow at most 16x per step: one fast chunk is not yet a trend.
        Size = Math.Min(next, Math.Max(1, Size) * 16);
    }
}
