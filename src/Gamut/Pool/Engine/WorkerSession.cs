using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's side of the conversation with one connected worker, on that worker's reader thread: the Init frame
/// (limits, serializer, worker setup, initializer), then every frame the worker sends until its channel ends — Ready, InitFailed,
/// Results (after a memory check: a worker over its limit takes no more work), Log.
/// </summary>
internal sealed class WorkerSession
{
    private readonly long? _maxMemory;
    private readonly string? _initializerName;
    private readonly byte[] _init;
    private readonly IWorkerEvents _events;
    private readonly ILogger _logger;

    /// <param name="options">The pool's options (payload and memory limits).</param>
    /// <param name="serializerType">The serializer's assembly-qualified type name; empty for the default one.</param>
    /// <param name="initializer">The job each worker runs once at start, with its serialized input; null when none.</param>
    /// <param name="events">Where results go.</param>
    /// <param name="logger">Where the workers' log records go.</param>
    public WorkerSession(ProcessPoolOptions options, string serializerType, (JobDefinition Job, byte[] Input)? initializer, IWorkerEvents events, ILogger logger)
    {
        _maxMemory = options.MaxMemoryPerWorker;
        _initializerName = initializer?.Job.Name;
        _events = events;
        _logger = logger;
        var writer = new FrameWriter(1024 + (initializer?.Input.Length ?? 0));
        writer.BeginFrame(FrameType.Init);
        writer.I64(options.MaxPayloadBytes);
        writer.String(serializerType);
        writer.String(options.WorkerSetup?.AssemblyQualifiedName ?? "");
        if (initializer is not { } init)
        {
            writer.U8(0);
        }
        else
        {
            writer.U8(1);
            init.Job.Write(writer);
            writer.Bytes(init.Input);
        }

        writer.EndFrame();
        _init = writer.Written.ToArray();
    }

    /// <summary>Sends a claimed worker its configuration, then reads its channel until the end.</summary>
    public void Serve(WorkerHandle w, FrameSocket channel, WorkerSupervisor supervisor)
    {
        try
        {
            channel.Send(_init);
            while (channel.TryRead(out var type, out var body))
            {
                OnFrame(w, type, body, supervisor);
            }
        }
        catch (Exception e) when (e is ProtocolException or ObjectDisposedException or IOException)
        {
            if (w.State is WorkerState.Ready or WorkerState.Retiring or WorkerState.Starting)
            {
                _logger.LogWarning("{Worker}: channel error: {Error}", w, e.Message);
            }
        }
        finally
        {
            w.ReaderDone.TrySetResult();
            supervisor.Stopper.OnChannelClosed(w);
        }
    }

    private void OnFrame(WorkerHandle w, FrameType type, ReadOnlyMemory<byte> body, WorkerSupervisor supervisor)
    {
        switch (type)
        {
            case FrameType.Ready:
                supervisor.OnReady(w);
                break;
            case FrameType.InitFailed:
                var r = new FrameReader(body.Span);
                var error = JobErrorCodec.Read(ref r);
                w.StartError = $"its initializer (job '{_initializerName}') threw {error.Type}: {error.Message}";
                _logger.LogError("{Worker}: {Error}", w, w.StartError);
                break;
            case FrameType.Results:
                w.ResultFrames++;
                // Before anyone hears of these results (and may submit more): a worker over its memory limit takes no more work.
                CheckMemory(w, supervisor);
                _events.Results(w, body.Span);
                AfterResults(w, supervisor);
                break;
            case FrameType.Log:
                var log = new FrameReader(body.Span);
                var level = (LogLevel)log.U8();
                _logger.Log(level, "worker {WorkerId}: {Message}", w.Id, log.String());
                break;
            default:
                throw new ProtocolException($"an unexpected frame {type} from the worker");
        }
    }

    private void AfterResults(WorkerHandle w, WorkerSupervisor supervisor)
    {
        bool stop;
        lock (supervisor.Gate.Lock)
        {
            stop = supervisor.Stopper.StopIfRetiredLocked(w);
        }

        if (stop)
        {
            w.Flush();
            supervisor.EnsureWorkers();
        }

        _events.RoomForWork();
    }

    /// <summary>
    /// Retires a worker whose resident memory is over the limit: one read of /proc when results arrive (between jobs)
    /// and before they are delivered, each time the worker is about to fall idle (so one that grows by leaps is caught
    /// before its next job) and at most every 50 ms while it stays busy.
    /// </summary>
    private void CheckMemory(WorkerHandle w, WorkerSupervisor supervisor)
    {
        if (_maxMemory is not { } max || w.State != WorkerState.Ready ||
            (w.FramesInFlight > 1 && Stopwatch.GetElapsedTime(w.LastMemoryCheck) < TimeSpan.FromMilliseconds(50)))
        {
            return;
        }

        w.LastMemoryCheck = Stopwatch.GetTimestamp();
        if (w.ResidentBytes() is not { } rss || rss <= max)
        {
            return;
        }

        lock (supervisor.Gate.Lock)
        {
            if (w.State == WorkerState.Ready)
            {
                _logger.LogInformation("{Worker} uses {Mb} MiB, over the limit: replacing it", w, rss / (1024 * 1024));
                supervisor.Stopper.RetireLocked(w, StopReason.Memory);
            }
        }
    }
}
