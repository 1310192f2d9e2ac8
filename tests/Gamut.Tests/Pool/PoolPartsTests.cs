using Gamut.Executors;
using Gamut.Pool.Engine;
using Gamut.Pool.Protocol;

namespace Gamut.Tests.Pool;

/// <summary>The pool's stand-alone parts on their own: how units are batched into frames, and what a crash settles.</summary>
public sealed class PoolPartsTests
{
    [Fact]
    public void Batching_gives_each_ready_worker_its_share_of_waiting_jobs_up_to_64_and_one_job_goes_alone()
    {
        Assert.Single(FrameBatcher.Choose(Queue(Singles(1)), readyWorkers: 2));
        Assert.Equal(5, FrameBatcher.Choose(Queue(Singles(10)), readyWorkers: 2).Count);
        Assert.Equal(4, FrameBatcher.Choose(Queue(Singles(10)), readyWorkers: 3).Count);
        Assert.Equal(FrameBatcher.MaxUnitsPerFrame, FrameBatcher.Choose(Queue(Singles(1000)), readyWorkers: 2).Count);
    }

    [Fact]
    public void Slow_chunks_travel_one_to_a_frame_and_quick_ones_share_a_frame_up_to_the_item_limit()
    {
        var slow = Queue([Chunk(0, 100, quick: false), Chunk(100, 100, quick: false), Chunk(200, 100, quick: false)]);
        Assert.Single(FrameBatcher.Choose(slow, readyWorkers: 1));

        var quick = Queue([.. Enumerable.Range(0, 10).Select(i => Chunk(i * 4000, 4000, quick: true))]);
        var batch = FrameBatcher.Choose(quick, readyWorkers: 1);
        Assert.Equal(FrameBatcher.MaxItemsPerFrame / 4000, batch.Count);

        // A slow chunk behind singles ends the frame before it; singles behind a slow chunk wait for the next frame.
        var mixed = Queue([.. Singles(3), Chunk(0, 10, quick: false), .. Singles(3)]);
        Assert.Equal(3, FrameBatcher.Choose(mixed, readyWorkers: 1).Count);
    }

    [Fact]
    public void A_frame_defines_each_job_type_once_per_worker_then_carries_the_units()
    {
        var table = new JobTable();
        var index = table.IndexOf(PoolTest.Registry().Get("pool.square"));
        var jobs = Singles(3, index);
        var defined = new HashSet<int>();
        var writer = new FrameWriter();
        FrameBatcher.Write(writer, jobs, defined, table);
        var first = Frames(writer.Written);
        writer.Clear();
        FrameBatcher.Write(writer, jobs, defined, table);

        Assert.Equal([FrameType.DefineJob, FrameType.Jobs], first);
        Assert.Equal([FrameType.Jobs], Frames(writer.Written));
    }

    [Fact]
    public void After_a_crash_units_before_the_slots_unit_ran_the_slots_unit_was_running_and_those_after_never_started()
    {
        var jobs = Singles(3);
        for (var i = 0; i < jobs.Count; i++)
        {
            jobs[i].Seq = 10 + i;
        }

        var slot = new SlotSnapshot(Running: true, Seq: 11, Index: 0, StartTimestamp: 0);
        Assert.Equal([CrashFate.Ran, CrashFate.Running, CrashFate.NeverStarted], jobs.Select(j => CrashSettlement.Of(j, slot)));

        // Between jobs (the slot's job finished), and before the worker ran anything.
        Assert.Equal(CrashFate.Ran, CrashSettlement.Of(jobs[1], slot with { Running = false }));
        Assert.Equal(CrashFate.NeverStarted, CrashSettlement.Of(jobs[0], default));
    }

    [Fact]
    public void After_a_crash_in_a_chunk_only_the_slots_item_was_running_and_while_inputs_were_read_no_item_ran()
    {
        var chunk = Chunk(0, 5, quick: false);
        chunk.Seq = 7;
        var slot = new SlotSnapshot(Running: true, Seq: 7, Index: 2, StartTimestamp: 0);
        Assert.Equal(
            [CrashFate.Ran, CrashFate.Ran, CrashFate.Running, CrashFate.NeverStarted, CrashFate.NeverStarted],
            Enumerable.Range(0, 5).Select(k => CrashSettlement.OfItem(chunk, k, slot)));

        var reading = slot with { Index = -1 };
        Assert.All(Enumerable.Range(0, 5), k => Assert.Equal(CrashFate.NeverStarted, CrashSettlement.OfItem(chunk, k, reading)));
        Assert.All(Enumerable.Range(0, 5), k => Assert.Equal(CrashFate.Ran, CrashSettlement.OfItem(chunk, k, slot with { Seq = 8 })));
    }

    [Fact]
    public void A_dead_workers_journal_gives_the_pool_its_committed_results_and_its_open_chunk_as_far_as_it_got()
    {
        using var slot = NewSlot();
        var journal = slot.Journal();
        Assert.Null(slot.RecoverResults(framesRead: 0));

        Assert.True(journal.TryAppend(OkRaw(seq: 1, value: 42)));
        Assert.True(journal.TryOpen(seq: 2, start: 5, itemSize: sizeof(int)));
        Assert.True(journal.TryAdd(10));
        Assert.True(journal.TryAdd(11));
        // The worker dies here, with the chunk's entry still open.

        var r = new FrameReader(slot.RecoverResults(framesRead: 0));
        Assert.Equal(2u, r.U32());
        Assert.Equal(1, r.I64());
        Assert.Equal(ResultKind.OkRaw, (ResultKind)r.U8());
        Assert.Equal(42, BitConverter.ToInt32(r.Bytes()));
        Assert.Equal(2, r.I64());
        Assert.Equal(ResultKind.Chunk, (ResultKind)r.U8());
        Assert.Equal(5u, r.U32());
        Assert.Equal(2u, r.U32());
        Assert.Equal(ChunkResultFlags.Raw, (ChunkResultFlags)r.U8());
        Assert.Equal([10, 11], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(r.Bytes()).ToArray());
        Assert.Equal(0u, r.U32());
    }

    [Fact]
    public void A_journal_sent_whole_is_never_delivered_twice_and_one_the_pool_did_not_read_to_the_end_is_not_trusted()
    {
        using var slot = NewSlot();
        var journal = slot.Journal();
        Assert.True(journal.TryAppend(OkRaw(seq: 1, value: 1)));
        _ = journal.Frame();

        // Died after the frame went out, before it was counted: the pool read it, so the journal gives nothing.
        Assert.Null(slot.RecoverResults(framesRead: 1));
        journal.Sent();
        Assert.Null(slot.RecoverResults(framesRead: 1));

        Assert.True(journal.TryAppend(OkRaw(seq: 2, value: 2)));
        Assert.Equal(1u, new FrameReader(slot.RecoverResults(framesRead: 1)).U32());
        // A pool that read fewer frames than were sent missed results: the journal alone cannot say which.
        Assert.Null(slot.RecoverResults(framesRead: 0));
    }

    private static WorkerSlot NewSlot()
    {
        var path = Path.Combine(Gamut.Ipc.Native.MappedRegion.SharedMemoryDirectory, $"gamut-test-{Environment.ProcessId}-{Guid.NewGuid():N}.slot");
        var slot = WorkerSlot.Create(path);
        File.Delete(path);
        return slot;
    }

    private static byte[] OkRaw(long seq, int value)
    {
        var entry = new FrameWriter(64);
        entry.I64(seq);
        entry.U8((byte)ResultKind.OkRaw);
        entry.Bytes(BitConverter.GetBytes(value));
        return entry.Written.ToArray();
    }

    private static List<PoolJob> Singles(int count, int jobIndex = 0) =>
        [.. Enumerable.Range(0, count).Select(i => (PoolJob)new SingleJob(jobIndex, "pool.square", $"j{i}", 1, JobOptions.Default, [1, 0, 0, 0], raw: true, new IgnoredSink()))];

    private static ChunkJob Chunk(int start, int count, bool quick) =>
        new(0, "pool.square", 1, JobOptions.Default, [], raw: true, new CountOnlyChunk(start + count), start, count, CancellationToken.None) { Quick = quick };

    private static LinkedList<PoolJob> Queue(IEnumerable<PoolJob> jobs)
    {
        var queue = new LinkedList<PoolJob>();
        foreach (var job in jobs)
        {
            job.QueueNode = queue.AddLast(job);
        }

        return queue;
    }

    private static List<FrameType> Frames(ReadOnlySpan<byte> bytes)
    {
        var types = new List<FrameType>();
        while (bytes.Length > 0)
        {
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            types.Add((FrameType)bytes[4]);
            bytes = bytes[(4 + length)..];
        }

        return types;
    }

    private sealed class IgnoredSink : IResultSink
    {
        public void SetResult(ReadOnlySpan<byte> payload, bool raw)
        {
        }

        public void SetError(Exception error)
        {
        }
    }

    /// <summary>A chunk that only knows its size and that no item is resolved: all batching and settling look at.</summary>
    private sealed class CountOnlyChunk(int count) : IMapChunk
    {
        public string IdBase => "chunk";

        public int Count => count;

        public bool IsResolved(int index) => false;

        public void SetRange(int start, int count, ReadOnlySpan<byte> payload, bool raw, bool[]? skip) => throw new NotSupportedException();

        public void SetItemError(int index, Exception error) => throw new NotSupportedException();

        public byte[]? TrySerializeRange(int start, int count, out bool raw) => throw new NotSupportedException();

        public byte[]? TrySerializeItem(int index, out bool raw, out Exception? error) => throw new NotSupportedException();

        public IResultSink ItemSink(int index) => throw new NotSupportedException();

        public string ItemId(int index) => $"chunk.{index}";
    }
}
