using System.Buffers;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>The job thread's loop, and the watcher that reads the channel while a long frame runs.</summary>
internal sealed partial class WorkerHost
{
    // messaging.system of the worker's process spans.
    private const string TraceSystem = "gamut.pool";

    // Who reads the channel: the job thread when it is between frames, the watcher while a frame runs long. Whole
    // frames are read under this lock; frames the watcher reads for the job thread wait in the inbox, in order.
    private readonly object _readLock = new();
    private readonly Queue<InboxFrame> _inbox = new();

    // The job thread's state, for the watcher and for SIGTERM.
    private readonly object _stateLock = new();
    private readonly ManualResetEventSlim _busySignal = new(false, spinCount: 0);
    private volatile bool _busy;
    private volatile bool _watcherParked;
    private long _frames;
    private volatile bool _terminating;

    /// <summary>Whether the worker is being stopped (SIGTERM): its job token is cancelled, but not by its caller.</summary>
    public bool Terminating => _terminating;

    private JobEntry[] _entries = new JobEntry[64];

    private void JobLoop()
    {
        while (true)
        {
            var frame = NextFrame();
            try
            {
                switch (frame.Type)
                {
                    case FrameType.DefineJob:
                        var r = new FrameReader(frame.Body);
                        var index = r.U32();
                        _jobs.Define(index, JobDefinition.Read(ref r));
                        break;
                    case FrameType.Jobs:
                        RunFrame(frame.Buffer.AsMemory(0, frame.Length));
                        break;
                    case FrameType.Stop:
                        Flush();
                        Environment.Exit(_terminating ? ExitTerminated : 0);
                        break;
                    default:
                        LinuxNative.ExitNow(ExitProtocol);
                        break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
            }
        }
    }

    /// <summary>The next frame for the job thread: one the watcher read, or the next on the channel (cancels are applied here).</summary>
    private InboxFrame NextFrame()
    {
        lock (_readLock)
        {
            while (true)
            {
                if (_inbox.TryDequeue(out var queued))
                {
                    return queued;
                }

                if (ReadLocked() is { } read)
                {
                    return read;
                }
            }
        }
    }

    /// <summary>Reads one frame; applies a cancel and returns null; ends the process at end of stream.</summary>
    private InboxFrame? ReadLocked()
    {
        FrameType type;
        ReadOnlyMemory<byte> body;
        try
        {
            if (!_channel.TryRead(out type, out body))
            {
                type = 0;
            }
        }
        catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
        {
            type = 0;
            body = default;
        }

        switch (type)
        {
            case 0:
                // The pool closed the channel or died: nobody is left to take results. Leave now, whatever is running.
                LinuxNative.ExitNow(0);
                return null;
            case FrameType.Cancel:
                _cancels.Cancel(new FrameReader(body.Span).I64());
                return null;
            case FrameType.Jobs or FrameType.DefineJob or FrameType.Stop:
                // The frame's bytes are the channel's buffer until the next read: keep a copy.
                var owned = ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
                body.Span.CopyTo(owned);
                return new InboxFrame(type, owned, body.Length);
            default:
                LinuxNative.ExitNow(ExitProtocol);
                return null;
        }
    }

    private void RunFrame(ReadOnlyMemory<byte> body)
    {
        var r = new FrameReader(body.Span);
        var count = (int)r.U32();
        if (_entries.Length < count)
        {
            _entries = new JobEntry[Math.Max(count, _entries.Length * 2)];
        }

        for (var i = 0; i < count; i++)
        {
            var seq = r.I64();
            var index = r.U32();
            var attempt = (int)r.U32();
            var flags = (JobFlags)r.U8();
            var id = r.String();
            var items = (flags & JobFlags.Chunk) != 0 ? (int)r.U32() : 1;
            string? traceParent = null, traceState = null;
            if ((flags & JobFlags.Traced) != 0)
            {
                traceParent = r.String();
                traceState = r.String();
            }

            var (offset, length) = r.BytesRange();
            _entries[i] = new JobEntry(seq, index, attempt, flags, id, items, offset, length, traceParent, traceState);
        }

        if (!EnterBusy())
        {
            Flush();
            Environment.Exit(ExitTerminated);
        }

        // Results made early in the frame go back when it ends, or within about a millisecond if it runs long (the
        // watcher sends them: see ResultOutbox.FlushIfStale).
        for (var i = 0; i < count && !_terminating; i++)
        {
            var e = _entries[i];
            RunOne(e, body.Slice(e.Offset, e.Length));
            _entries[i] = default;
        }

        Flush();
        LeaveBusy();
    }

    private void RunOne(in JobEntry e, ReadOnlyMemory<byte> payload)
    {
        var job = _jobs.Get(e.Index);
        if (job is null)
        {
            AppendError(e.Seq, ErrorCode.UnknownJob, new JobError(typeof(UnknownJobException).FullName!, $"The worker was never told about job #{e.Index}"));
            return;
        }

        if (job.LoadError is not null)
        {
            AppendError(e.Seq, ErrorCode.Registration, job.LoadError);
            return;
        }

        if (_cancels.Begin(e.Seq) is not { } token)
        {
            AppendError(e.Seq, ErrorCode.Cancelled, new JobError(typeof(OperationCanceledException).FullName!, "Cancelled before it started"));
            return;
        }

        // The submitter's context makes this run a span of its trace, when the worker has a listener (set up, for
        // instance, by a WorkerInitializer); a chunk is one span.
        using var activity = e.TraceParent is null ? null : GamutTelemetry.StartProcess(TraceSystem, job.Name, job.Name, e.Id, e.Attempt, e.TraceParent, e.TraceState);
        (_runSpan, _runSpanSeq) = (activity, e.Seq);
        try
        {
            var work = new JobWork(e.Seq, e.Id, e.Attempt, e.Flags, e.Items, payload, token);
            if ((e.Flags & JobFlags.Chunk) != 0)
            {
                job.Runner!.RunChunk(this, work);
            }
            else
            {
                job.Runner!.RunSingle(this, work);
            }
        }
        finally
        {
            _runSpan = null;
            _cancels.End();
        }
    }

    private bool EnterBusy()
    {
        lock (_stateLock)
        {
            if (_terminating)
            {
                return false;
            }

            _busy = true;
            _frames++;
        }

        // The watcher is woken only from its long wait (after the job thread was idle a while), not for each frame
        // of a busy stream. (Dekker: each side stores, fences, then reads the other's flag; one of them sees it.)
        Interlocked.MemoryBarrier();
        if (_watcherParked)
        {
            _busySignal.Set();
        }

        return true;
    }

    private void LeaveBusy()
    {
        lock (_stateLock)
        {
            _busy = false;
            if (_terminating)
            {
                Environment.Exit(ExitTerminated);
            }
        }
    }

    /// <summary>
    /// The watcher: parked while the job thread is idle; while frames run, it looks every millisecond whether the
    /// same frame is still running, and if so reads the channel until that frame ends, so cancels and the pool's
    /// death are seen while a job runs. Short frames never see it (it costs them no system call).
    /// </summary>
    private void Watch()
    {
        var parentChecked = Environment.TickCount64;
        while (true)
        {
            _busySignal.Reset();
            _watcherParked = true;
            Interlocked.MemoryBarrier();
            if (!_busy && !_busySignal.Wait(200))
            {
                CheckParent();
                parentChecked = Environment.TickCount64;
                continue;
            }

            _watcherParked = false;
            var idle = 0;
            while (idle < 3)
            {
                var frame = Interlocked.Read(ref _frames);
                var busy = _busy;
                Thread.Sleep(1);
                _outbox.FlushIfStale();
                if (Environment.TickCount64 - parentChecked > 200)
                {
                    CheckParent();
                    parentChecked = Environment.TickCount64;
                }

                if (!_busy)
                {
                    idle++;
                    continue;
                }

                idle = 0;
                if (busy && Interlocked.Read(ref _frames) == frame)
                {
                    WatchChannel(frame);
                }
            }
        }
    }

    /// <summary>Reads the channel for the job thread while it runs frame number <paramref name="frame"/>.</summary>
    private void WatchChannel(long frame)
    {
        while (_busy && Interlocked.Read(ref _frames) == frame)
        {
            var readable = _channel.WaitReadable(_outbox.HasResults ? ResultOutbox.FlushDelay : TimeSpan.FromMilliseconds(100));
            _outbox.FlushIfStale();
            if (!readable)
            {
                CheckParent();
                continue;
            }

            lock (_readLock)
            {
                if (!_busy || Interlocked.Read(ref _frames) != frame || !_channel.WaitReadable(TimeSpan.Zero))
                {
                    return;
                }

                if (ReadLocked() is { } queued)
                {
                    _inbox.Enqueue(queued);
                }
            }
        }
    }

    private void OnTerminate()
    {
        lock (_stateLock)
        {
            _terminating = true;
            _cancels.Terminate();

            if (_busy)
            {
                // The job thread exits when the running job returns.
                return;
            }
        }

        // Between frames (the job thread waits on the channel): leave now, from a thread of our own rather than the
        // signal handler's.
        ThreadPool.UnsafeQueueUserWorkItem(
            static host =>
            {
                host.Flush();
                Environment.Exit(ExitTerminated);
            },
            this,
            preferLocal: false);
    }

    private sealed record InboxFrame(FrameType Type, byte[] Buffer, int Length)
    {
        public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);
    }

    private readonly record struct JobEntry(long Seq, uint Index, int Attempt, JobFlags Flags, string Id, int Items, int Offset, int Length, string? TraceParent, string? TraceState);
}
