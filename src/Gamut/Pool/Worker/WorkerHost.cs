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
/// <para>Two parts keep state of their own: <see cref="ResultOutbox"/> (results committed to the slot's journal, sent
/// in one frame) and <see cref="JobCancels"/> (which job may run, with which token).</para>
/// </remarks>
internal sealed partial class WorkerHost
{
    private const int ExitInitFailed = 78;
    private const int ExitProtocol = 70;
    private const int ExitTerminated = 143;

    private readonly WorkerArguments _args;
    private readonly WorkerJobTable _jobs = new();
    private FrameSocket _channel = null!;
    private IJobSerializer? _serializer;
    private long _maxPayload = 64L * 1024 * 1024;
    private string _setupType = "";

    // The parts with state of their own: what goes back to the pool, and which job may run with which token.
    private readonly ResultOutbox _outbox;
    private readonly JobCancels _cancels = new();

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

        var initializer = ReadInit(body.Span, out var initPayload);
        new Thread(Watch) { IsBackground = true, Name = "gamut-worker-watch" }.Start();
        if ((_setupType.Length > 0 ? RunSetup(_setupType) : null) is { } setupError)
        {
            return InitFailed(setupError, interrupt, terminate);
        }

        if (initializer is not null && RunInitializer(initializer, initPayload) is { } error)
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

    private JobDefinition? ReadInit(ReadOnlySpan<byte> body, out byte[] initPayload)
    {
        var r = new FrameReader(body);
        _maxPayload = r.I64();
        var serializerType = r.String();
        if (serializerType.Length > 0)
        {
            _serializer = CreateSerializer(serializerType);
        }

        _setupType = r.String();

        initPayload = [];
        if (r.U8() == 0)
        {
            return null;
        }

        var definition = JobDefinition.Read(ref r);
        initPayload = r.Bytes().ToArray();
        return definition;
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2057", Justification = "The serializer type is the pool's own configuration.")]
    private static IJobSerializer CreateSerializer(string typeName)
    {
        // Trusted configuration from the pool (the type of the serializer it was given), never payload data.
        var type = Type.GetType(typeName, throwOnError: true)!;
        return (IJobSerializer)Activator.CreateInstance(type)!;
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2057", Justification = "The setup type is the pool's own configuration.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The pool checked the type's public parameterless constructor.")]
    private JobError? RunSetup(string typeName)
    {
        // Trusted configuration from the pool (ProcessPoolOptions.WorkerSetup, a type given in code), never payload data.
        try
        {
            var type = Type.GetType(typeName, throwOnError: true)!;
            var setup = (IPoolWorkerSetup)Activator.CreateInstance(type)!;
            _jobs.Activator = setup.CreateActivator(Logger)
                ?? throw new InvalidOperationException($"{type.FullName}.CreateActivator returned null");
            return null;
        }
        catch (Exception e)
        {
            var inner = e is System.Reflection.TargetInvocationException { InnerException: { } cause } ? cause : e;
            return new JobError(inner.GetType().FullName!, $"The worker setup {typeName.Split(',')[0]} failed: {inner.Message}", inner.StackTrace);
        }
    }

    private JobError? RunInitializer(JobDefinition definition, byte[] payload)
    {
        var job = _jobs.Load(definition);
        if (job.LoadError is not null)
        {
            return job.LoadError;
        }

        try
        {
            var context = new WorkerJobContext($"init-w{_args.WorkerId}", definition.Name, 1, _cancels.Current, Logger);
            job.Runner!.Descriptor.InvokeAsync(payload, Serializer, context, new ArrayBufferWriter<byte>()).AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return JobError.From(e);
        }
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

    private void CheckParent()
    {
        // Belt and braces beside end-of-stream on the channel: if the pool process is gone, so is this worker.
        if (LinuxNative.GetParentPid() != _args.ParentPid)
        {
            LinuxNative.ExitNow(0);
        }
    }
}
