using Gamut.Jobs;
using Gamut.Pool.Protocol;
using Gamut.Pool.Worker;

namespace Gamut.Tests.Pool;

/// <summary>
/// The worker process's stand-alone parts on their own, without a pool: the result outbox over a real slot's journal
/// (what is committed, what is sent, what a crash would leave to the pool), the cancels (which job may run, with
/// which token), the job thread's state as the watcher and SIGTERM see it, and the inbox over a real socket pair
/// (cancels applied at once, frames kept in order, the end of the stream ends the worker).
/// </summary>
public sealed class WorkerHostPartsTests : IDisposable
{
    private readonly WorkerSlot _slot;
    private readonly List<byte[]> _sent = [];
    private readonly ResultOutbox _outbox;

    public WorkerHostPartsTests()
    {
        var path = Path.Combine(Gamut.Ipc.Native.MappedRegion.SharedMemoryDirectory, $"gamut-test-{Environment.ProcessId}-{Guid.NewGuid():N}.slot");
        _slot = WorkerSlot.Create(path);
        File.Delete(path);
        _outbox = new ResultOutbox(frame => _sent.Add(frame.ToArray()));
        _outbox.Attach(_slot.Journal());
    }

    public void Dispose() => _slot.Dispose();

    [Fact]
    public void Results_are_committed_to_the_journal_at_once_and_sent_together_as_one_frame_at_the_flush()
    {
        _outbox.AppendOk(1, BitConverter.GetBytes(42), raw: true);
        _outbox.AppendError(2, ErrorCode.Failed, new JobError("System.InvalidOperationException", "boom", null));

        // Nothing sent yet, and a crash now would leave both to the pool through the journal.
        Assert.Empty(_sent);
        Assert.True(_outbox.HasResults);
        Assert.Equal(2u, new FrameReader(_slot.RecoverResults(framesRead: 0)).U32());

        _outbox.Flush();
        var r = Results(Assert.Single(_sent));
        Assert.Equal(2u, r.U32());
        Assert.Equal((1L, ResultKind.OkRaw), (r.I64(), (ResultKind)r.U8()));
        Assert.Equal(42, BitConverter.ToInt32(r.Bytes()));
        Assert.Equal((2L, ResultKind.Error, ErrorCode.Failed), (r.I64(), (ResultKind)r.U8(), (ErrorCode)r.U8()));
        Assert.Equal("boom", JobErrorCodec.Read(ref r).Message);

        // Sent and counted: the pool, having read that frame, gets nothing twice.
        Assert.False(_outbox.HasResults);
        Assert.Null(_slot.RecoverResults(framesRead: 1));
        _outbox.Flush();
        Assert.Single(_sent);
    }

    [Fact]
    public void A_chunks_raw_entry_is_not_sent_while_open_and_goes_with_its_items_once_closed()
    {
        _outbox.OpenRaw(seq: 7, start: 3, itemSize: sizeof(int));
        _outbox.AddRaw(10, sizeof(int));
        _outbox.AddRaw(11, sizeof(int));
        Assert.False(_outbox.HasResults);
        _outbox.Flush();
        _outbox.FlushIfStale();
        Assert.Empty(_sent);

        _outbox.AddRaw(12, sizeof(int));
        _outbox.CloseRaw(final: true);
        _outbox.Flush();
        var r = Results(Assert.Single(_sent));
        Assert.Equal(1u, r.U32());
        Assert.Equal((7L, ResultKind.Chunk, 3u, 3u), (r.I64(), (ResultKind)r.U8(), r.U32(), r.U32()));
        Assert.Equal(ChunkResultFlags.Final | ChunkResultFlags.Raw, (ChunkResultFlags)r.U8());
        Assert.Equal([10, 11, 12], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(r.Bytes()).ToArray());
    }

    [Fact]
    public void A_result_larger_than_the_journal_goes_out_at_once_in_a_frame_of_its_own_after_the_ones_before_it()
    {
        _outbox.AppendOk(1, [1], raw: false);
        _outbox.AppendOk(2, new byte[ResultJournal.Capacity + 10], raw: false);

        Assert.Equal(2, _sent.Count);
        Assert.Equal(1L, Skip(Results(_sent[0])).I64());
        var alone = Results(_sent[1]);
        Assert.Equal((1u, 2L), (alone.U32(), alone.I64()));
        Assert.False(_outbox.HasResults);
        Assert.Null(_slot.RecoverResults(framesRead: 2));
    }

    [Fact]
    public void A_cancel_reaches_the_running_job_at_once_and_a_job_not_yet_started_when_its_turn_comes()
    {
        var cancels = new JobCancels();
        var first = cancels.Begin(1)!.Value;
        cancels.Cancel(3);
        cancels.Cancel(1);
        Assert.True(first.IsCancellationRequested);
        cancels.End();

        // The next job runs with a fresh token; the cancel for job 3 waits for its turn.
        var second = cancels.Begin(2)!.Value;
        Assert.False(second.IsCancellationRequested);
        cancels.End();
        Assert.Null(cancels.Begin(3));
        Assert.Equal(0, cancels.Waiting);

        // A cancel for a job that already ran (jobs run in the order sent) is dropped when a later one begins.
        cancels.Cancel(2);
        Assert.NotNull(cancels.Begin(4));
        Assert.Equal(0, cancels.Waiting);
        cancels.End();
    }

    [Fact]
    public void Terminating_cancels_the_running_job_and_no_job_starts_after()
    {
        var cancels = new JobCancels();
        var running = cancels.Begin(1)!.Value;
        cancels.Terminate();
        Assert.True(running.IsCancellationRequested);
        cancels.End();
        Assert.Null(cancels.Begin(2));
    }

    [Fact]
    public void The_job_threads_state_counts_frames_and_a_terminate_while_busy_is_left_to_the_job_thread()
    {
        var state = new JobThreadState();
        Assert.True(state.TryEnter());
        Assert.Equal((true, 1L), (state.Busy, state.Frames));
        Assert.False(state.Leave());
        Assert.True(state.TryEnter());
        Assert.Equal(2L, state.Frames);

        // SIGTERM while a frame runs: the job thread, not the signal, ends the process when the frame ends.
        Assert.True(state.Terminate());
        Assert.True(state.Terminating);
        Assert.True(state.Leave());

        // Idle and terminating: no frame begins, and the terminate says the caller must end the process itself.
        Assert.False(state.TryEnter());
        Assert.False(state.Terminate());
        Assert.Equal(2L, state.Frames);
    }

    [Fact]
    public async Task The_watcher_parked_while_idle_wakes_when_the_job_thread_begins_a_frame()
    {
        var state = new JobThreadState();
        Assert.False(state.WaitBusy(TimeSpan.Zero));
        var woke = Task.Factory.StartNew(() => state.WaitBusy(TimeSpan.FromMinutes(5)), TaskCreationOptions.LongRunning);
        Assert.True(state.TryEnter());
        Assert.True(await woke.WaitAsync(TimeSpan.FromMinutes(5)));

        // Already busy: no wait at all.
        Assert.True(state.WaitBusy(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void The_inbox_applies_a_cancel_as_soon_as_it_is_read_and_keeps_read_ahead_frames_in_order()
    {
        using var pair = new ChannelPair();
        var cancels = new JobCancels();
        var inbox = new FrameInbox(pair.Worker, cancels, code => throw new WorkerExited(code));
        var running = cancels.Begin(5)!.Value;

        // While job 5 runs, the watcher reads ahead: a Jobs frame, the cancel for job 5, another Jobs frame.
        pair.Pool.Send(Frame(FrameType.Jobs, 1));
        pair.Pool.Send(Frame(FrameType.Cancel, 5));
        pair.Pool.Send(Frame(FrameType.Jobs, 2));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(pair.Worker.WaitReadable(TimeSpan.FromMinutes(5)));
            inbox.ReadAhead(() => true);
        }

        Assert.True(running.IsCancellationRequested);
        Assert.Equal(2, inbox.Waiting);

        // A read-ahead the job thread no longer needs (its frame ended) reads nothing.
        pair.Pool.Send(Frame(FrameType.Stop, 3));
        Assert.True(pair.Worker.WaitReadable(TimeSpan.FromMinutes(5)));
        inbox.ReadAhead(() => false);
        Assert.Equal(2, inbox.Waiting);

        // The job thread takes them in the order sent, then the rest from the channel.
        Assert.Equal([(FrameType.Jobs, 1L), (FrameType.Jobs, 2L), (FrameType.Stop, 3L)], [Take(inbox), Take(inbox), Take(inbox)]);
        cancels.End();
    }

    [Fact]
    public void The_end_of_the_stream_or_a_frame_a_worker_never_gets_ends_the_worker()
    {
        using (var pair = new ChannelPair())
        {
            var inbox = new FrameInbox(pair.Worker, new JobCancels(), code => throw new WorkerExited(code));
            pair.Pool.Socket.Shutdown();
            Assert.Equal(0, Assert.Throws<WorkerExited>(() => inbox.Next()).Code);
        }

        using (var pair = new ChannelPair())
        {
            var inbox = new FrameInbox(pair.Worker, new JobCancels(), code => throw new WorkerExited(code));
            pair.Pool.Send(Frame(FrameType.Results, 1));
            Assert.Equal(WorkerHost.ExitProtocol, Assert.Throws<WorkerExited>(() => inbox.Next()).Code);
        }
    }

    private static (FrameType, long) Take(FrameInbox inbox)
    {
        var frame = inbox.Next();
        try
        {
            return (frame.Type, new FrameReader(frame.Body).I64());
        }
        finally
        {
            frame.Release();
        }
    }

    private static byte[] Frame(FrameType type, long value)
    {
        var w = new FrameWriter(32);
        w.BeginFrame(type);
        w.I64(value);
        w.EndFrame();
        return w.Written.ToArray();
    }

    private sealed class WorkerExited(int code) : Exception($"exit {code}")
    {
        public int Code { get; } = code;
    }

    /// <summary>A connected pair of framed sockets on a fresh abstract name: the pool's end and the worker's.</summary>
    private sealed class ChannelPair : IDisposable
    {
        private readonly UnixStream _listener;

        public ChannelPair()
        {
            var name = $"gamut-test-inbox-{Environment.ProcessId}-{Guid.NewGuid():N}";
            _listener = UnixStream.Listen(name, 1);
            Worker = new FrameSocket(UnixStream.Connect(name), maxFrame: 1 << 20);
            Pool = new FrameSocket(_listener.Accept(), maxFrame: 1 << 20);
        }

        public FrameSocket Pool { get; }

        public FrameSocket Worker { get; }

        public void Dispose()
        {
            Pool.Dispose();
            Worker.Dispose();
            _listener.Dispose();
        }
    }

    /// <summary>The body of a Results frame, checked to be one.</summary>
    private static FrameReader Results(byte[] frame)
    {
        Assert.Equal(FrameType.Results, (FrameType)frame[4]);
        Assert.Equal(frame.Length - 4, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(frame));
        return new FrameReader(frame.AsSpan(5).ToArray());
    }

    private static FrameReader Skip(FrameReader r)
    {
        Assert.Equal(1u, r.U32());
        return r;
    }
}
