using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Worker;

/// <summary>
/// A worker process's life: connect to the pool, prove who it is, load what the pool says, run the initializer,
/// then run jobs one at a time in the order they arrive until told to stop.
/// </summary>
/// <remarks>
/// <para>The job thread reads the channel itself and runs what it reads at once, so a job's round trip wakes one
/// thread here, not two. While it runs a frame for longer than about a millisecond, a watcher thread takes over the
/// channel: a cancel reaches the running job at once, later frames wait in order, and the pool's death (end of
/// stream) ends the worker whatever the job is doing. The watcher also checks the parent pid, in case.</para>
/// <para>The parts with state of their own: <see cref="ResultOutbox"/> (results committed to the slot's journal, sent
/// in one frame), <see cref="JobCancels"/> (which job may run, with which token), <see cref="FrameInbox"/> (the
/// channel's two readers), <see cref="JobThreadState"/> (idle, busy or terminating) and <see cref="ChannelWatcher"/>
/// (the second thread); <see cref="WorkerInit"/> is what the pool says at start. This class runs the job thread.</para>
/// </remarks>
internal sealed class WorkerHost
{
    /// <summary>The exit code of a worker that read a frame it never gets (a pool of another version).</summary>
    public const int ExitProtocol = 70;
    private const int ExitInitFailed = 78;
    private const int ExitTerminated = 143;

    // messaging.system of the worker's process spans.
    private const string TraceSystem = "gamut.pool";

    private readonly WorkerArguments _args;
    private readonly WorkerJobTable _jobs = new();
    private FrameSocket _channel = null!;
    private FrameInbox _inbox = null!;
    private IJobSerializer? _serializer;
    private long _maxPayload = 64L * 1024 * 1024;

    // The parts with state of their own: what goes back to the pool, which job may run with which token, and what
    // the job thread is doing.
    private readonly ResultOutbox _outbox;
    private readonly JobCancels _cancels = new();
    private readonly JobThreadState _state = new();
    private JobEntry[] _entries = new JobEntry[64];

    // The process span of the unit the job thread runs now (null when untraced), so an error answer marks it failed.
    private Activity? _runSpan;
    private long _runSpanSeq;

    public WorkerHost(WorkerArguments args)
    {
        _args = args;
        Logger = new ForwardingLogger(SendLog);
        _outbox = new ResultOutbox(Send);
    }

    /// <summary>Whether this process is a Gamut pool worker (set as soon as the host starts).</summary>
    public static bool IsWorkerProcess { get; private set; }

    /// <summary>The error of a run cancelled before or while it ran.</summary>
    public static JobError CancelledError { get; } = new(typeof(OperationCanceledException).FullName!, "Cancelled");

    public WorkerSlot Slot { get; private set; } = null!;

    /// <summary>The pool's serializer; the default one is made only when a job needs it (primitive numbers travel raw).</summary>
    public IJobSerializer Serializer => _serializer ??= JsonJobSerializer.Default;

    /// <summary>Whether the serializer is <see cref="JsonJobSerializer.Default"/> (then primitive numbers travel raw).</summary>
    public bool DefaultJson => _serializer is null || ReferenceEquals(_serializer, JsonJobSerializer.Default);

    public ILogger Logger { get; }

    /// <summary>Whether the worker is being stopped (SIGTERM): its job token is cancelled, but not by its caller.</summary>
    public bool Terminating => _state.Terminating;

    /// <summary>Where the job thread serializes one result (it is the only user).</summary>
    public ArrayBufferWriter<byte> Scratch { get; } = new(4096);

    /// <summary>The largest result the pool takes, in bytes.</summary>
    public long MaxPayload => _maxPayload;

    // The job runners' side of the outbox (JobRunner): results in, committed to the slot's journal.
    public void AppendOk(long seq, ReadOnlySpan<byte> payload, bool raw) => _outbox.AppendOk(seq, payload, raw);

    public void AppendError(long seq, ErrorCode code, JobError error)
    {
        MarkSpanFailed(seq, code, error.Message);
        _outbox.AppendError(seq, code, error);
    }

    /// <inheritdoc cref="ResultOutbox.AppendChunkResult"/>
    public void AppendChunkResult(long seq, int start, int count, bool final, bool raw, ReadOnlySpan<byte> payload, List<ItemError>? errors)
    {
        if (errors is [var first, ..])
        {
            // A chunk is one span: it failed when any of its items did.
            MarkSpanFailed(seq, first.Code, first.Error.Message);
        }

        _outbox.AppendChunkResult(seq, start, count, final, raw, payload, errors);
    }

    /// <inheritdoc cref="ResultOutbox.OpenRaw"/>
    public void OpenRaw(long seq, int start, int itemSize) => _outbox.OpenRaw(seq, start, itemSize);

    /// <inheritdoc cref="ResultOutbox.AddRaw"/>
    public void AddRaw<T>(T value, int itemSize) => _outbox.AddRaw(value, itemSize);

    /// <inheritdoc cref="ResultOutbox.CloseRaw"/>
    public void CloseRaw(bool final) => _outbox.CloseRaw(final);

    /// <inheritdoc cref="ResultOutbox.Flush"/>
    public void Flush() => _outbox.Flush();

    /// <summary>Runs the worker on the calling thread, which becomes its job thread; returns only when it cannot start.</summary>
    public int Run()
    {
        IsWorkerProcess = true;
        var token = Environment.GetEnvironmentVariable(WorkerArguments.TokenVariable) ?? "";
        Environment.SetEnvironmentVariable(WorkerArguments.TokenVariable, null);

        // Say hello first: the pool checks who we are while we set up the rest.
        // The pool listens on an abstract socket (a name that starts with NUL, which argv cannot carry).
        _channel = new FrameSocket(UnixStream.Connect(_args.SocketName), maxFrame: int.MaxValue);
        SendHello(token);

        // The pool decides when a worker stops: Ctrl-C in a terminal reaches the whole foreground group, and the
        // pool (which gets it too) stops its workers in order. SIGTERM asks the running job to stop, then exits.
        // (The registrations live as long as the process: this method never returns once the worker is ready.)
        var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            OnTerminate();
        });

        Slot = WorkerSlot.Open(_args.SlotPath);
        _outbox.Attach(Slot.Journal());
        if (!_channel.TryRead(out var type, out var body) || type != FrameType.Init)
        {
            return ExitProtocol;
        }

        var init = WorkerInit.Read(body.Span);
        (_maxPayload, _serializer) = (init.MaxPayload, init.Serializer);
        _inbox = new FrameInbox(_channel, _cancels, LinuxNative.ExitNow);
        new ChannelWatcher(_state, _inbox, _channel, _outbox, CheckParent).Start();
        if (init.RunSetup(_jobs, Logger) is { } setupError)
        {
            return InitFailed(setupError, interrupt, terminate);
        }

        var initContext = new WorkerJobContext($"init-w{_args.WorkerId}", init.Initializer?.Name ?? "", 1, _cancels.Current, Logger);
        if (init.RunInitializer(_jobs, Serializer, initContext) is { } error)
        {
            return InitFailed(error, interrupt, terminate);
        }

        var ready = new FrameWriter(16);
        ready.BeginFrame(FrameType.Ready);
        ready.EndFrame();
        _channel.Send(ready.Written);
        JobLoop();
        GC.KeepAlive(interrupt);
        GC.KeepAlive(terminate);
        return 0;
    }

    private int InitFailed(JobError error, PosixSignalRegistration interrupt, PosixSignalRegistration terminate)
    {
        var w = new FrameWriter();
        w.BeginFrame(FrameType.InitFailed);
        JobErrorCodec.Write(w, error);
        w.EndFrame();
        _channel.Send(w.Written);
        GC.KeepAlive(interrupt);
        GC.KeepAlive(terminate);
        return ExitInitFailed;
    }

    private void SendHello(string token)
    {
        var w = new FrameWriter(256);
        w.BeginFrame(FrameType.Hello);
        w.U32((uint)_args.WorkerId);
        w.U32((uint)Environment.ProcessId);
        w.String(token);
        w.EndFrame();
        _channel.Send(w.Written);
    }

    private void SendLog(LogLevel level, string message)
    {
        var w = new FrameWriter(256 + (message.Length * 3));
        ForwardingLogger.Write(w, level, message);
        try
        {
            _channel.Send(w.Written);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Marks the running unit's span (when traced) <see cref="ActivityStatusCode.Error"/> with <c>error.type</c>.</summary>
    private void MarkSpanFailed(long seq, ErrorCode code, string message)
    {
        if (_runSpan is { } span && _runSpanSeq == seq)
        {
            span.SetStatus(ActivityStatusCode.Error, message);
            span.SetTag(GamutTelemetry.ErrorTypeTag, code == ErrorCode.Cancelled ? "canceled" : "failed");
        }
    }

    private void Send(ReadOnlySpan<byte> frame)
    {
        try
        {
            _channel.Send(frame);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            LinuxNative.ExitNow(0);
        }
    }

    private void JobLoop()
    {
        while (true)
        {
            var frame = _inbox.Next();
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
                        RunFrame(frame.Memory);
                        break;
                    case FrameType.Stop:
                        Flush();
                        Environment.Exit(_state.Terminating ? ExitTerminated : 0);
                        break;
                    default:
                        LinuxNative.ExitNow(ExitProtocol);
                        break;
                }
            }
            finally
            {
                frame.Release();
            }
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

        if (!_state.TryEnter())
        {
            Flush();
            Environment.Exit(ExitTerminated);
        }

        // Results made early in the frame go back when it ends, or within about a millisecond if it runs long (the
        // watcher sends them: see ResultOutbox.FlushIfStale).
        for (var i = 0; i < count && !_state.Terminating; i++)
        {
            var e = _entries[i];
            RunOne(e, body.Slice(e.Offset, e.Length));
            _entries[i] = default;
        }

        Flush();
        if (_state.Leave())
        {
            Environment.Exit(ExitTerminated);
        }
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

    private void OnTerminate()
    {
        // Terminating first, then the token: a job thread between items sees the flag and stops before it would
        // begin the next one with a cancelled token (that one is not started, so the pool runs it elsewhere).
        var busy = _state.Terminate();
        _cancels.Terminate();
        if (busy)
        {
            // The job thread exits when the running job returns.
            return;
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

    private readonly record struct JobEntry(long Seq, uint Index, int Attempt, JobFlags Flags, string Id, int Items, int Offset, int Length, string? TraceParent, string? TraceState);

    private void CheckParent()
    {
        // Belt and braces beside end-of-stream on the channel: if the pool process is gone, so is this worker.
        if (LinuxNative.GetParentPid() != _args.ParentPid)
        {
            LinuxNative.ExitNow(0);
        }
    }
}
