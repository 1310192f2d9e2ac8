using System.Diagnostics;
using Gamut.Ipc.Native;

namespace Gamut.Pool.Protocol;

/// <summary>
/// A few words of memory shared by the pool and one worker, where the worker records which job (and which item
/// of a chunk) it is running and since when. The pool reads it to enforce timeouts and, after a crash, to know
/// exactly which job was running (the culprit), which had finished (their results may be lost) and which never
/// started (they go back to the queue untouched). One plain store per job: cheap enough for tiny jobs.
/// </summary>
/// <remarks>
/// The worker is the only writer. Its writes are wrapped in a sequence counter (odd while writing), so the pool
/// reads a consistent snapshot; if the worker died in the middle of a write, the pool takes the fields as they are.
/// </remarks>
internal sealed unsafe class WorkerSlot : IDisposable
{
    public const int Size = 64;

    /// <summary>The slot and, after it, the worker's <see cref="ResultJournal"/> (tmpfs gives pages only when written).</summary>
    private const long RegionSize = Size + ResultJournal.HeaderSize + ResultJournal.Capacity;
    private const int VersionAt = 0;
    private const int StateAt = 4;
    private const int SeqAt = 8;
    private const int IndexAt = 16;
    private const int StartAt = 24;

    private readonly MappedRegion _region;
    private readonly byte* _p;

    private WorkerSlot(MappedRegion region)
    {
        _region = region;
        _p = region.Pointer;
    }

    public string Path => _region.Path;

    public static WorkerSlot Create(string path) => new(MappedRegion.CreateNew(path, RegionSize));

    public static WorkerSlot Open(string path) => new(MappedRegion.OpenExisting(path));

    /// <summary>
    /// Worker: job <paramref name="seq"/> (item <paramref name="index"/>) starts now. Its start time is recorded only
    /// when <paramref name="timed"/> (a job with a timeout): a clock read per tiny item is a cost worth saving.
    /// </summary>
    public void Begin(long seq, int index, bool timed)
    {
        var version = (int*)(_p + VersionAt);
        Volatile.Write(ref *version, *version + 1);
        Volatile.Write(ref *(long*)(_p + SeqAt), seq);
        Volatile.Write(ref *(int*)(_p + IndexAt), index);
        if (timed)
        {
            Volatile.Write(ref *(long*)(_p + StartAt), Stopwatch.GetTimestamp());
        }

        Volatile.Write(ref *(int*)(_p + StateAt), 1);
        Volatile.Write(ref *version, *version + 1);
    }

    /// <summary>Worker: the job recorded by the last <see cref="Begin"/> has finished.</summary>
    public void End()
    {
        var version = (int*)(_p + VersionAt);
        Volatile.Write(ref *version, *version + 1);
        Volatile.Write(ref *(int*)(_p + StateAt), 0);
        Volatile.Write(ref *version, *version + 1);
    }

    /// <summary>Pool: what the worker is doing (or was doing when it died).</summary>
    public SlotSnapshot Read()
    {
        var version = (int*)(_p + VersionAt);
        for (var attempt = 0; ; attempt++)
        {
            var v1 = Volatile.Read(ref *version);
            var running = Volatile.Read(ref *(int*)(_p + StateAt)) == 1;
            var seq = Volatile.Read(ref *(long*)(_p + SeqAt));
            var index = Volatile.Read(ref *(int*)(_p + IndexAt));
            var start = Volatile.Read(ref *(long*)(_p + StartAt));
            var v2 = Volatile.Read(ref *version);
            if ((v1 == v2 && (v1 & 1) == 0) || attempt > 100)
            {
                return new SlotSnapshot(running, seq, index, start);
            }

            Thread.SpinWait(20);
        }
    }

    /// <summary>Worker: the journal where results wait until they are sent (see <see cref="ResultJournal"/>).</summary>
    public ResultJournal Journal() => new(_p + Size, _p + Size + ResultJournal.HeaderSize);

    /// <summary>
    /// Pool, after the worker ended and its channel was read to the end: the results it kept and never sent, as the
    /// body of a Results frame (null when none). <paramref name="framesRead"/>: Results frames read whole from it.
    /// </summary>
    public byte[]? RecoverResults(long framesRead) =>
        _region.Length < RegionSize ? null : ResultJournal.Recover(_p + Size, _p + Size + ResultJournal.HeaderSize, framesRead);

    public void Dispose() => _region.Dispose();

    /// <summary>Removes the slot's name from /dev/shm (the mappings live on); nothing when it is gone already.</summary>
    public void Unlink()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>What a worker's slot said: whether a job is running, which one, and since when (Stopwatch ticks; only for a job with a timeout).</summary>
internal readonly record struct SlotSnapshot(bool Running, long Seq, int Index, long StartTimestamp)
{
    public TimeSpan RunningFor => Running ? Stopwatch.GetElapsedTime(StartTimestamp) : TimeSpan.Zero;
}
