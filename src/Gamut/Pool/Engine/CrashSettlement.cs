using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>Where a dead worker's unit (or map item) was when the worker ended.</summary>
internal enum CrashFate
{
    /// <summary>It never started: it goes back to the queue with its attempt unchanged.</summary>
    NeverStarted,

    /// <summary>It was running: it fails with <c>WorkerCrashedException</c> (WasRunning) or retries under its policy.</summary>
    Running,

    /// <summary>
    /// It ran to its end, yet no result for it reached the pool (its result is normally kept in the worker's journal;
    /// this is left only when the worker died between a job's return and its result's commit, or the journal could
    /// not be read): it is charged like a running one, with WasRunning false.
    /// </summary>
    Ran,
}

/// <summary>
/// Decides, from a dead worker's slot alone, what became of each unit it had: a worker runs its units in the order
/// sent, so those before the slot's unit ran, those after it never started, and within a chunk the same holds for
/// items around the slot's item (item -1: the chunk's inputs were being read, so no item ran). Pure and stand-alone;
/// the pool applies the verdicts.
/// </summary>
internal static class CrashSettlement
{
    /// <summary>The fate of a whole unit (a single job; for a chunk, whether the worker reached it at all).</summary>
    public static CrashFate Of(PoolJob job, SlotSnapshot slot)
    {
        if (slot.Seq == 0 || job.Seq > slot.Seq)
        {
            return CrashFate.NeverStarted;
        }

        return job.Seq == slot.Seq && slot.Running ? CrashFate.Running : CrashFate.Ran;
    }

    /// <summary>The fate of item <paramref name="k"/> (counted from the unit's start) of a chunk unit.</summary>
    public static CrashFate OfItem(ChunkJob chunk, int k, SlotSnapshot slot)
    {
        if (slot.Seq == 0 || chunk.Seq > slot.Seq)
        {
            return CrashFate.NeverStarted;
        }

        if (chunk.Seq < slot.Seq)
        {
            return CrashFate.Ran;
        }

        if (k > slot.Index)
        {
            return CrashFate.NeverStarted;
        }

        return k == slot.Index && slot.Running ? CrashFate.Running : CrashFate.Ran;
    }
}
