using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Worker;

/// <summary>
/// A worker process's life: connect to the pool, prove who it is, load what the pool says, run the initializer,
/// then run jobs one at a time in the order they arrive until told to stop. A dedicated thread reads the channel,
/// so a cancel reaches a running job and the pool's death (end of stream, or a new parent pid) ends the worker at
/// once, even while a job spins.
/// </summary>
internal sealed partial class WorkerHost
{
    private const int ExitInitFailed = 78;
    private const int ExitProtocol = 70;
    private const int ExitTerminated = 143;

    private readonly WorkerArguments _args;
    private readonly WorkerJobTable _jobs = new();
    private readonly Channel<InboxFrame> _inbox = Channel.CreateUnbounded<InboxFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly object _resultsLock = new();
    private readonly FrameWriter _results = new(64 * 1024);
    private readonly object _cancelLock = new();
    private readonly HashSet<long> _cancelled = [];
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private FrameSocket _channel = null!;
    private Timer? _flushTimer;
    private int _resultCount;
    private int _countAt;
    private bool _flushArmed;
    private long _runningSeq;
    private CancellationTokenSource _jobCancel = new();
    private volatile bool _terminating;
    private long _maxPayload = 64L * 1024 * 1024;

    public WorkerHost(WorkerArguments args)
    {
        _args = args;
        Logger = new ForwardingLogger(SendLog);
    }

    /// <summary>Whether this process is a Gamut pool worker (set as soon as the host starts).</summary>
    public static bool IsWorkerProcess { get; private set; }

    public WorkerSlot Slot { get; private set; } = null!;

    public IJobSerializer Serializer { get; private set; } = JsonJobSerializer.Default;

    public ILogger Logger { get; }

    public async Task<int> RunAsync()
    {
        IsWorkerProcess = true;
        var token = Environment.GetEnvironmentVariable(WorkerArguments.TokenVariable) ?? "";
        Environment.SetEnvironmentVariable(WorkerArguments.TokenVariable, null);

        // The pool decides when a worker stops: Ctrl-C in a terminal reaches the whole foreground group, and the
        // pool (which gets it too) stops its workers in order. SIGTERM asks the running job to stop, then exits.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            OnTerminate();
        });

        Slot = WorkerSlot.Open(_args.SlotPath);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        // The pool listens on an abstract socket (a name that starts with NUL, which argv cannot carry).
        socket.Connect(new UnixDomainSocketEndPoint("\0" + _args.SocketName));
        _channel = new FrameSocket(socket, maxFrame: int.MaxValue);
        SendHello(token);

        if (!_channel.TryRead(out var type, out var body) || type != FrameType.Init)
        {
            return ExitProtocol;
        }

        var initializer = ReadInit(body.Span, out var initPayload);
        StartWatchingParent();
        if (initializer is not null)
        {
            var error = await RunInitializerAsync(initializer, initPayload).ConfigureAwait(false);
            if (error is not null)
            {
                var w = new FrameWriter();
                w.BeginFrame(FrameType.InitFailed);
                JobErrorCodec.Write(w, error);
                w.EndFrame();
                _channel.Send(w.Written);
                return ExitInitFailed;
            }
        }

        _flushTimer = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "gamut-worker-reader" };
        reader.Start();
        var ready = new FrameWriter(16);
        ready.BeginFrame(FrameType.Ready);
        ready.EndFrame();
        _channel.Send(ready.Written);
        return await MainLoopAsync().ConfigureAwait(false);
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
            Serializer = CreateSerializer(serializerType);
        }

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

    private async Task<JobError?> RunInitializerAsync(JobDefinition definition, byte[] payload)
    {
        var job = _jobs.Load(definition);
        if (job.LoadError is not null)
        {
            return job.LoadError;
        }

        try
        {
            var context = new JobContext($"init-w{_args.WorkerId}", definition.Name, 1, _jobCancel.Token, Logger);
            await job.Descriptor!.InvokeAsync(payload, Serializer, context, new ArrayBufferWriter<byte>()).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return JobError.From(e);
        }
    }

    private void StartWatchingParent()
    {
        // Belt and braces beside end-of-stream on the channel: if the pool process is gone, so is this worker.
        var watch = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(200);
                if (LinuxNative.GetParentPid() != _args.ParentPid)
                {
                    LinuxNative.ExitNow(0);
                }
            }
        })
        { IsBackground = true, Name = "gamut-worker-parent-watch" };
        watch.Start();
    }

    private void ReadLoop()
    {
        try
        {
            while (_channel.TryRead(out var type, out var body))
            {
                switch (type)
                {
                    case FrameType.Cancel:
                        OnCancel(new FrameReader(body.Span).I64());
                        break;
                    case FrameType.Jobs or FrameType.DefineJob or FrameType.Stop:
                        var owned = ArrayPool<byte>.Shared.Rent(body.Length);
                        body.Span.CopyTo(owned);
                        _inbox.Writer.TryWrite(new InboxFrame(type, owned, body.Length));
                        break;
                    default:
                        LinuxNative.ExitNow(ExitProtocol);
                        break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ProtocolException or ObjectDisposedException)
        {
        }

        // The pool closed the channel or died: nobody is left to take results. Leave now, whatever is running.
        LinuxNative.ExitNow(0);
    }

    private void OnCancel(long seq)
    {
        lock (_cancelLock)
        {
            if (_runningSeq == seq)
            {
                _jobCancel.Cancel();
            }
            else
            {
                _cancelled.Add(seq);
            }
        }
    }

    private void OnTerminate()
    {
        _terminating = true;
        lock (_cancelLock)
        {
            _jobCancel.Cancel();
        }

        _inbox.Writer.TryWrite(new InboxFrame(FrameType.Stop, [], 0));
    }

    private void SendLog(LogLevel level, string message)
    {
        var w = new FrameWriter(256 + message.Length * 3);
        ForwardingLogger.Write(w, level, message);
        try
        {
            _channel.Send(w.Written);
        }
        catch (SocketException)
        {
        }
    }

    private readonly record struct InboxFrame(FrameType Type, byte[] Buffer, int Length);
}
