using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Launch;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's workers: starting them (one alone first, the rest once it has connected), claiming each connection as one
/// of them, marking them ready, retiring and stopping them, noticing when one ends and starting its replacement, and
/// Erlang's restart intensity when they keep dying at start (<see cref="StartFailures"/>). The work they carry is not
/// its business: it tells <see cref="IWorkerEvents"/> and lets the dispatcher and the settler act. Periodic checks are
/// <see cref="WorkerWatch"/>'s; the conversation with a connected worker is <see cref="WorkerSession"/>'s;
/// retiring and stopping them is <see cref="WorkerStopper"/>'s.
/// </summary>
internal sealed class WorkerSupervisor : IAsyncDisposable
{
    private readonly PoolGate _gate;
    private readonly ProcessPoolOptions _options;
    private readonly IWorkerEvents _events;
    private readonly ILogger _logger;
    private readonly string _idPrefix;
    private readonly StartFailures _startFailures;
    private readonly WorkerSpawner _spawner;
    private readonly WorkerListener _listener;
    private readonly WorkerWatch _watch;
    private int _workerIds;
    private bool _firstConnected;
    private Task? _stopped;

    /// <param name="gate">The lock and worker list it shares with the dispatcher.</param>
    /// <param name="options">The pool's options (workers, limits, timeouts).</param>
    /// <param name="launcher">Starts worker processes.</param>
    /// <param name="idPrefix">The pool's id prefix (names the workers' slots).</param>
    /// <param name="poolNumber">The pool's number in this process.</param>
    /// <param name="session">Serves a connected worker's channel.</param>
    /// <param name="events">Where workers' news goes.</param>
    /// <param name="logger">Where workers' lives are told.</param>
    /// <exception cref="FileNotFoundException">Gamut.Worker.dll or the dotnet host cannot be found.</exception>
    public WorkerSupervisor(PoolGate gate, ProcessPoolOptions options, IWorkerLauncher launcher, string idPrefix, int poolNumber, WorkerSession session, IWorkerEvents events, ILogger logger)
    {
        _gate = gate;
        _options = options;
        _events = events;
        _logger = logger;
        _idPrefix = idPrefix;
        Target = options.Workers ?? Environment.ProcessorCount;
        _startFailures = new StartFailures(options.RestartIntensity, options.RestartPeriod);
        _spawner = new WorkerSpawner(launcher, options.WorkerAssemblyPath, options.Environment, logger);
        // Who connects is checked (peer pid and uid, and a per-worker secret), so another local process cannot pose
        // as a worker.
        Stopper = new WorkerStopper(gate, options.StopGracePeriod, this);
        _listener = new WorkerListener(poolNumber, options.MaxPayloadBytes + (1 << 20), Claim, (w, channel) => session.Serve(w, channel, this), logger);
        _watch = new WorkerWatch(gate, this, options, events, logger);
    }

    /// <summary>The lock and worker list it shares with the dispatcher.</summary>
    public PoolGate Gate => _gate;

    /// <summary>Retires and stops workers.</summary>
    public WorkerStopper Stopper { get; }

    /// <summary>How many workers the pool keeps.</summary>
    public int Target { get; }

    /// <summary>The process ids of the workers alive now (starting, ready, or being stopped).</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_gate.Lock)
            {
                return [.. _gate.Workers.Where(w => w.Pid != 0).Select(w => w.Pid)];
            }
        }
    }

    /// <summary>The number of workers ready for work now.</summary>
    public int ReadyCount
    {
        get
        {
            lock (_gate.Lock)
            {
                return _gate.ReadyCountLocked();
            }
        }
    }

    /// <summary>
    /// Starts workers until the pool has its number (unless it is closed or workers keep dying). A new pool starts one
    /// worker alone and the others once it has connected: starting runtimes compete for the cores, and the first one
    /// up serves the first jobs sooner than if all came up together (the last is ready about as early either way).
    /// </summary>
    public void EnsureWorkers()
    {
        List<WorkerHandle>? start = null;
        lock (_gate.Lock)
        {
            if (_gate.Closed)
            {
                return;
            }

            var live = 0;
            var starting = 0;
            foreach (var w in _gate.Workers)
            {
                live += w.State is WorkerState.Starting or WorkerState.Ready ? 1 : 0;
                starting += w.State == WorkerState.Starting ? 1 : 0;
            }

            while (live < Target && (_firstConnected || starting == 0))
            {
                starting++;
                if (_startFailures.Tripped)
                {
                    if (!_startFailures.MayProbe || _gate.Workers.Exists(x => x.State == WorkerState.Starting))
                    {
                        break;
                    }

                    // Half-open: one worker tries; if it fails too, the limit trips again at once.
                    _startFailures.Probe();
                    live = Target;
                }
                else
                {
                    live++;
                }

                var id = ++_workerIds;
                if (id > Target)
                {
                    GamutTelemetry.WorkerRestarts.Add(1, new KeyValuePair<string, object?>(GamutTelemetry.ExecutorTag, "processes"));
                }

                var secret = new byte[16];
                LinuxNative.FillRandom(secret);
                var slotPath = Path.Combine(MappedRegion.SharedMemoryDirectory, string.Create(CultureInfo.InvariantCulture, $"gamut-{_idPrefix}w{id}.slot"));
                var w = new WorkerHandle(id, Convert.ToHexString(secret), WorkerSlot.Create(slotPath), _options.StderrTailLines);
                _gate.Workers.Add(w);
                (start ??= []).Add(w);
            }
        }

        foreach (var w in start ?? [])
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.supervisor.Spawn(s.w), (supervisor: this, w), preferLocal: false);
        }
    }

    private void Spawn(WorkerHandle w)
    {
        try
        {
            var process = _spawner.Start(w, _listener.Name);
            bool closed;
            lock (_gate.Lock)
            {
                w.Process = process;
                closed = w.State == WorkerState.Dead || _gate.Immediate;
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
        lock (_gate.Lock)
        {
            w = _gate.Workers.Find(x => x.Id == hello.WorkerId && x.State == WorkerState.Starting && x.Channel is null);
            if (w is null || !hello.PeerMatches || (w.Pid != 0 && w.Pid != hello.Pid) ||
                !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hello.Token), Encoding.ASCII.GetBytes(w.Token)))
            {
                return null;
            }

            w.Channel = channel;
            first = !_firstConnected;
            _firstConnected = true;
        }

        if (first && Target > 1)
        {
            EnsureWorkers();
        }

        return w;
    }

    /// <summary>The worker said it is ready (or it failed its memory limit at start). A worker that gets ready clears the restart limit.</summary>
    public void OnReady(WorkerHandle w)
    {
        lock (_gate.Lock)
        {
            if (w.State != WorkerState.Starting)
            {
                return;
            }

            if (_options.MaxMemoryPerWorker is { } max && w.ResidentBytes() is { } rss && rss > max)
            {
                w.StartError = $"it uses {rss / (1024 * 1024)} MiB at start, over ProcessPoolOptions.MaxMemoryPerWorker ({max / (1024 * 1024)} MiB)";
                Stopper.StopWorkerLocked(w, StopReason.StartTimeout, kill: true);
                return;
            }

            w.State = WorkerState.Ready;
            w.WasReady = true;

            // The worker has mapped its slot (it does before it says ready): the name can go now, so nothing is left
            // in /dev/shm even if this process is killed. Both mappings live on.
            w.Slot.Unlink();
            if (_startFailures.Tripped)
            {
                _logger.LogInformation("{Worker} started after earlier failures; the pool restarts workers again", w);
            }

            _startFailures.Reset();
            _gate.CrashLoop = null;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("{Worker} ready in {Ms} ms", w, Stopwatch.GetElapsedTime(w.StartedAt).TotalMilliseconds);
        }

        EnsureWorkers();
        _events.RoomForWork();
    }

    /// <summary>Whether a worker should be started now though none was asked for: the restart limit may probe, or the first worker is slow to connect.</summary>
    public bool ProbeDueLocked(TimeSpan firstWorkerAlone)
    {
        var probe = _startFailures.MayProbe && !_gate.Closed;
        if (!_firstConnected && _gate.Workers.Count > 0 && Stopwatch.GetElapsedTime(_gate.Workers[0].StartedAt) > firstWorkerAlone)
        {
            // The first worker is slow to connect (a loaded machine): start the others anyway.
            _firstConnected = true;
            probe = true;
        }

        return probe;
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

    /// <summary>
    /// A worker has ended (or could not start): it leaves the pool with its in-flight units, which the events settle
    /// from what its slot says; a start failure counts toward the restart limit; a replacement starts.
    /// </summary>
    private void OnWorkerExited(WorkerHandle w, WorkerExit? exit)
    {
        RecoverKeptResults(w);
        List<PoolJob> orphans;
        SlotSnapshot slot;
        WorkerCrashLoopException? tripped = null;
        var newlyTripped = false;
        lock (_gate.Lock)
        {
            if (w.State == WorkerState.Dead)
            {
                return;
            }

            var startFailure = !w.WasReady && !_gate.Closed && w.StopReason is StopReason.None or StopReason.StartTimeout or StopReason.ChannelClosed;
            w.State = WorkerState.Dead;
            _gate.Workers.Remove(w);
            orphans = [.. w.InFlight];
            w.InFlight.Clear();
            w.FramesInFlight = 0;
            foreach (var job in orphans)
            {
                job.State = PoolJobState.Answered;
                job.Worker = null;
            }

            slot = w.Slot.Read();
            if (startFailure)
            {
                var reason = w.StartError ?? (w.StopReason == StopReason.StartTimeout
                    ? $"it did not get ready within {_options.StartTimeout.TotalSeconds:0.#} s"
                    : $"it ended before it was ready, with {exit?.Description ?? "no exit status"}");
                newlyTripped = !_startFailures.Tripped;
                if (_startFailures.Record())
                {
                    tripped = _gate.CrashLoop = new WorkerCrashLoopException(_startFailures.Count, _options.RestartPeriod, reason, exit, w.StderrTail());
                }
            }
        }

        w.Channel?.Dispose();
        w.Close();
        w.Slot.Dispose();
        w.Slot.Unlink();
        w.Process?.Dispose();
        if (w.StopReason == StopReason.None && exit is not null && !(_gate.Closed && exit.ExitCode == 0))
        {
            _logger.LogWarning("{Worker} ended unexpectedly: {Exit}", w, exit.Description);
            GamutTelemetry.WorkerCrashes.Add(1, new KeyValuePair<string, object?>(GamutTelemetry.ExecutorTag, "processes"));
        }

        if (tripped is not null && newlyTripped)
        {
            _logger.LogError("{Error}", tripped.Message);
        }

        _events.Ended(w, exit ?? new WorkerExit(null, null), slot, orphans, tripped);
        EnsureWorkers();
        _events.RoomForWork();
    }

    /// <summary>
    /// Delivers the results a dead worker committed to its journal and never sent (it died before the frame ended).
    /// Only once its channel has been read to the end: the journal then holds exactly the results the pool has not seen.
    /// </summary>
    private void RecoverKeptResults(WorkerHandle w)
    {
        if (Interlocked.Exchange(ref w.Settling, 1) != 0 || w.State == WorkerState.Dead || !w.ReaderDone.Task.IsCompleted ||
            w.Slot.RecoverResults(w.ResultFrames) is not { } body)
        {
            return;
        }

        try
        {
            _events.Results(w, body);
        }
        catch (ProtocolException e)
        {
            _logger.LogWarning("{Worker}: the results it kept could not be read: {Error}", w, e.Message);
        }
    }

    /// <summary>
    /// Stops every worker and waits until all have ended; then the watch and the listener stop. The gate is closed
    /// first (if the pool has not closed it already): a stopped worker must not be replaced.
    /// </summary>
    public Task StopAllAsync()
    {
        lock (_gate.Lock)
        {
            _gate.Closed = true;
            _stopped ??= StopAllCoreAsync();
            return _stopped;
        }
    }

    private async Task StopAllCoreAsync()
    {
        await Stopper.StopAllAsync().ConfigureAwait(false);
        await _watch.DisposeAsync().ConfigureAwait(false);
        _listener.Dispose();
    }

    /// <summary>Stops every worker and waits for them (as <see cref="StopAllAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAllAsync().ConfigureAwait(false);
}
