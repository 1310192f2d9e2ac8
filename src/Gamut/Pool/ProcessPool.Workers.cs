using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gamut.Ipc.Native;
using Gamut.Pool.Engine;
using Gamut.Pool.Launch;
using Gamut.Pool.Protocol;
using Gamut.Pool.Worker;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool;

/// <summary>Workers' lives: start, handshake, the reader of each channel, readiness, stopping and recycling.</summary>
public sealed partial class ProcessPool
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Starts workers until the pool has its number (unless it is closed or workers keep dying). A new pool starts one
    /// worker alone and the others once it has connected: starting runtimes compete for the cores, and the first one
    /// up serves the first jobs sooner than if all came up together (the last is ready about as early either way).
    /// </summary>
    private void EnsureWorkers()
    {
        List<WorkerHandle>? start = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var live = 0;
            var starting = 0;
            foreach (var w in _workers)
            {
                live += w.State is WorkerState.Starting or WorkerState.Ready ? 1 : 0;
                starting += w.State == WorkerState.Starting ? 1 : 0;
            }

            while (live < Workers && (_firstConnected || starting == 0))
            {
                starting++;
                if (_startFailures.Tripped)
                {
                    if (!_startFailures.MayProbe || _workers.Any(w => w.State == WorkerState.Starting))
                    {
                        break;
                    }

                    // Half-open: one worker tries; if it fails too, the limit trips again at once.
                    _startFailures.Probe();
                    live = Workers;
                }
                else
                {
                    live++;
                }

                var id = ++_workerIds;
                if (id > Workers)
                {
                    Gamut.Jobs.GamutTelemetry.WorkerRestarts.Add(1, new KeyValuePair<string, object?>(Gamut.Jobs.GamutTelemetry.ExecutorTag, "processes"));
                }

                var secret = new byte[16];
                LinuxNative.FillRandom(secret);
                var token = Convert.ToHexString(secret);
                var slotPath = Path.Combine(MappedRegion.SharedMemoryDirectory, string.Create(CultureInfo.InvariantCulture, $"gamut-{_idPrefix}w{id}.slot"));
                var w = new WorkerHandle(id, token, WorkerSlot.Create(slotPath), _options.StderrTailLines);
                _workers.Add(w);
                (start ??= []).Add(w);
            }
        }

        foreach (var w in start ?? [])
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.pool.Spawn(s.w), (pool: this, w), preferLocal: false);
        }
    }

    private void Spawn(WorkerHandle w)
    {
        try
        {
            var process = _spawner.Start(w, _listener.Name);
            bool closed;
            lock (_gate)
            {
                w.Process = process;
                closed = w.State == WorkerState.Dead || _immediate;
            }

            if (closed)
            {
                process.Signal(LinuxNative.SIGKILL);
            }

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("worker {WorkerId} started, pid {Pid}", w.Id, process.Pid);
            }

            _ = WatchAsync(w, process);
        }
        catch (Exception e) when (e is WorkerStartException or IOException or InvalidOperationException)
        {
            _logger.LogError("worker {WorkerId} could not start: {Error}", w.Id, e.Message);
            w.StartError = $"it could not be started: {e.Message}";
            OnWorkerExited(w, null);
        }
    }

    /// <summary>
    /// A connection said hello: is it one of this pool's starting workers (the pid the kernel reports, and the secret
    /// it was given)? If so it gets its channel; the first to connect lets the others start.
    /// </summary>
    private WorkerHandle? Claim(WorkerHello hello, FrameSocket channel)
    {
        WorkerHandle? w;
        bool first;
        lock (_gate)
        {
            w = _workers.Find(x => x.Id == hello.WorkerId && x.State == WorkerState.Starting && x.Channel is null);
            if (w is null || !hello.PeerMatches || (w.Pid != 0 && w.Pid != hello.Pid) ||
                !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hello.Token), Encoding.ASCII.GetBytes(w.Token)))
            {
                return null;
            }

            w.Channel = channel;
            first = !_firstConnected;
            _firstConnected = true;
        }

        if (first && Workers > 1)
        {
            EnsureWorkers();
        }

        return w;
    }

    /// <summary>Sends a claimed worker its configuration, then reads its channel until the end (on its reader thread).</summary>
    private void Serve(WorkerHandle w, FrameSocket channel)
    {
        try
        {
            SendInit(w);
            while (channel.TryRead(out var type, out var body))
            {
                OnFrame(w, type, body);
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
            OnChannelClosed(w);
        }
    }

    private void SendInit(WorkerHandle w)
    {
        var serializerType = _defaultJson ? "" : Serializer.GetType().AssemblyQualifiedName!;
        var writer = new FrameWriter(1024 + _initializerInput.Length);
        writer.BeginFrame(FrameType.Init);
        writer.I64(_options.MaxPayloadBytes);
        writer.String(serializerType);
        if (_initializer is null)
        {
            writer.U8(0);
        }
        else
        {
            writer.U8(1);
            _initializer.Write(writer);
            writer.Bytes(_initializerInput);
        }

        writer.EndFrame();
        w.Channel!.Send(writer.Written);
    }

    private void OnFrame(WorkerHandle w, FrameType type, ReadOnlyMemory<byte> body)
    {
        switch (type)
        {
            case FrameType.Ready:
                OnReady(w);
                break;
            case FrameType.InitFailed:
                var r = new FrameReader(body.Span);
                var error = JobErrorCodec.Read(ref r);
                w.StartError = $"its initializer (job '{_initializer?.Name}') threw {error.Type}: {error.Message}";
                _logger.LogError("{Worker}: {Error}", w, w.StartError);
                break;
            case FrameType.Results:
                w.ResultFrames++;
                // Before anyone hears of these results (and may submit more): a worker over its memory limit takes no more work.
                CheckMemory(w);
                OnResults(w, body.Span);
                AfterResults(w);
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

    private void OnReady(WorkerHandle w)
    {
        lock (_gate)
        {
            if (w.State != WorkerState.Starting)
            {
                return;
            }

            if (_options.MaxMemoryPerWorker is { } max && w.ResidentBytes() is { } rss && rss > max)
            {
                w.StartError = $"it uses {rss / (1024 * 1024)} MiB at start, over ProcessPoolOptions.MaxMemoryPerWorker ({max / (1024 * 1024)} MiB)";
                StopWorkerLocked(w, StopReason.StartTimeout, kill: true);
                return;
            }

            w.State = WorkerState.Ready;
            w.WasReady = true;

            // The worker has mapped its slot (it does before it says ready): the name can go now, so nothing is left
            // in /dev/shm even if this process is killed. Both mappings live on.
            TryDelete(w.Slot.Path);
            if (_startFailures.Tripped)
            {
                _logger.LogInformation("{Worker} started after earlier failures; the pool restarts workers again", w);
            }

            _startFailures.Reset();
            _crashLoop = null;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("{Worker} ready in {Ms} ms", w, Stopwatch.GetElapsedTime(w.StartedAt).TotalMilliseconds);
        }

        EnsureWorkers();
        Dispatch();
    }

    private void AfterResults(WorkerHandle w)
    {
        var stop = false;
        lock (_gate)
        {
            if (w.State == WorkerState.Retiring && w.InFlight.Count == 0)
            {
                stop = true;
                w.State = WorkerState.Stopping;
                w.TermSentAt = Stopwatch.GetTimestamp();
                w.Enqueue(0, static (writer, _) =>
                {
                    writer.BeginFrame(FrameType.Stop);
                    writer.EndFrame();
                });
            }
        }

        if (stop)
        {
            w.Flush();
            EnsureWorkers();
        }

        Dispatch();
    }

    /// <summary>
    /// Retires a worker whose resident memory is over the limit: one read of /proc when results arrive (between jobs)
    /// and before they are delivered, each time the worker is about to fall idle (so one that grows by leaps is caught
    /// before its next job) and at most every 50 ms while it stays busy.
    /// </summary>
    private void CheckMemory(WorkerHandle w)
    {
        if (_options.MaxMemoryPerWorker is not { } max || w.State != WorkerState.Ready ||
            (w.FramesInFlight > 1 && Stopwatch.GetElapsedTime(w.LastMemoryCheck) < TimeSpan.FromMilliseconds(50)))
        {
            return;
        }

        w.LastMemoryCheck = Stopwatch.GetTimestamp();
        if (w.ResidentBytes() is not { } rss || rss <= max)
        {
            return;
        }

        lock (_gate)
        {
            if (w.State == WorkerState.Ready)
            {
                _logger.LogInformation("{Worker} uses {Mb} MiB, over the limit: replacing it", w, rss / (1024 * 1024));
                RetireLocked(w, StopReason.Memory);
            }
        }
    }

    /// <summary>Stops giving a worker work; it stops once its in-flight work is answered, and a replacement starts now.</summary>
    private void RetireLocked(WorkerHandle w, StopReason reason)
    {
        if (w.State != WorkerState.Ready)
        {
            return;
        }

        w.State = WorkerState.Retiring;
        w.StopReason = reason;
        ThreadPool.UnsafeQueueUserWorkItem(static p => p.EnsureWorkers(), this, preferLocal: false);
    }

    /// <summary>Stops a worker now: SIGTERM (or SIGKILL), and SIGKILL after the grace period. A replacement starts.</summary>
    private void StopWorkerLocked(WorkerHandle w, StopReason reason, bool kill = false, bool signal = true)
    {
        if (w.State is WorkerState.Dead)
        {
            return;
        }

        if (w.State != WorkerState.Stopping)
        {
            w.State = WorkerState.Stopping;
            w.StopReason = reason;
            w.TermSentAt = Stopwatch.GetTimestamp();
        }

        if (signal)
        {
            SignalStopLocked(w, kill);
        }

        ThreadPool.UnsafeQueueUserWorkItem(static p => p.EnsureWorkers(), this, preferLocal: false);
    }

    /// <summary>SIGTERM (SIGKILL when <paramref name="kill"/> or no grace period) to a worker being stopped.</summary>
    private void SignalStopLocked(WorkerHandle w, bool kill)
    {
        if (kill || _options.StopGracePeriod == TimeSpan.Zero)
        {
            w.KillSent = true;
            w.Process?.Signal(LinuxNative.SIGKILL);
        }
        else
        {
            w.Process?.Signal(LinuxNative.SIGTERM);
        }
    }

    private void OnChannelClosed(WorkerHandle w)
    {
        // A worker without its channel is of no use: if it does not end by itself at once, it is killed.
        _ = Task.Delay(200).ContinueWith(
            static (_, s) =>
            {
                var (pool, worker) = ((ProcessPool, WorkerHandle))s!;
                lock (pool._gate)
                {
                    if (worker.State != WorkerState.Dead && worker.Process is { Exited.IsCompleted: false })
                    {
                        pool.StopWorkerLocked(worker, worker.State == WorkerState.Stopping ? worker.StopReason : StopReason.ChannelClosed, kill: true);
                    }
                }
            },
            (this, w),
            TaskScheduler.Default);
    }

    private async Task WatchAsync(WorkerHandle w, IWorkerProcess process)
    {
        var exit = await process.Exited.ConfigureAwait(false);
        if (w.Channel is not null)
        {
            // Every result the worker sent before it died is still in the socket: read it all before judging (and
            // before taking what it kept and never sent from its journal). The reader ends at end-of-stream; the
            // guard only stops a hang if something else holds the worker's end of the socket open.
            await Task.WhenAny(w.ReaderDone.Task, Task.Delay(30_000)).ConfigureAwait(false);
        }

        OnWorkerExited(w, exit);
    }
}
