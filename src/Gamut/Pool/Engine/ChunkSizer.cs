using System.Diagnostics;

namespace Gamut.Pool.Engine;

/// <summary>
/// Chooses how many map inputs travel together. Fixed when the caller says; otherwise it starts with single
/// inputs (no wasted parallelism on slow jobs) and grows each chunk toward about <see cref="Target"/> of work,
/// from the time chunks actually take, up to <see cref="Max"/> (tiny jobs get large chunks and pay the channel once
/// per chunk, as multiprocessing's chunksize does). It also says whether chunks are quick enough to send several to
/// a frame (fixed sizes too).
/// </summary>
internal sealed class ChunkSizer(int? fixedSize)
{
    public const int Max = 8192;
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(5);
    private static readonly double QuickChunkTicks = Stopwatch.Frequency / 2000.0;
    private double _perItemTicks = -1;

    public int Size { get; private set; } = fixedSize ?? 1;

    public bool IsFixed => fixedSize is not null;

    /// <summary>
    /// Whether a chunk is seen to take well under a millisecond (dispatch to answer): then several go to a worker in
    /// one frame without hurting the balance between workers.
    /// </summary>
    public bool ItemsAreFast => _perItemTicks >= 0 && _perItemTicks * Size < QuickChunkTicks;

    /// <summary>About how many items a worker gets through in <paramref name="time"/> (from dispatch to answer, so an underestimate); 1 when unknown.</summary>
    public long ItemsIn(TimeSpan time) =>
        _perItemTicks > 0 ? (long)Math.Clamp(time.TotalSeconds * Stopwatch.Frequency / _perItemTicks, 1, 1 << 20) : 1;

    public void Observe(int items, long dispatchedAt, long completedAt)
    {
        if (items == 0 || dispatchedAt == 0 || completedAt <= dispatchedAt)
        {
            return;
        }

        var perItem = (double)(completedAt - dispatchedAt) / items;
        _perItemTicks = _perItemTicks < 0 ? perItem : (_perItemTicks * 0.5) + (perItem * 0.5);
        if (fixedSize is not null)
        {
            return;
        }

        var target = Target.TotalSeconds * Stopwatch.Frequency;
        var next = (int)Math.Clamp(target / Math.Max(_perItemTicks, 1), 1, Max);
        // Grow at most 16x per step: one fast chunk is not yet a trend.
        Size = Math.Min(next, Math.Max(1, Size) * 16);
    }
}
