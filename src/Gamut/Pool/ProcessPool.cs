using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Engine;
using Gamut.Pool.Launch;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Pool;

/// <summary>
/// An executor of registered jobs in worker processes: isolated memory, so a crash, a leak or a runaway job costs a
/// worker, never the pool. Workers start ahead of need and are reused; small jobs travel in batches; a worker
/// that dies is noticed at once, its running job fails with <see cref="WorkerCrashedException"/> (or is retried
/// when its <see cref="RetryPolicy"/> allows), the jobs queued behind it go to other workers, and a replacement
/// starts. The pool never becomes "broken".
/// </summary>
/// <remarks>
/// Takes registered jobs only (it is not an <see cref="IInProcessExecutor"/>): a closure cannot cross a process
/// boundary. Workers run the application's own assemblies through its deps.json; no worker program is needed.
/// See docs/pool.md for the guarantees and limits.
/// </remarks>
public sealed class ProcessPool : IExecutor, IMapHost, IWorkerEvents, IQueueDepthSource
{
    // The pool composes stand-alone parts (docs/pool.md, "Inside the pool"): the dispatcher owns the work, the
    // supervisor owns the workers, the intake and the settler decide outcomes; they share one lock (PoolGate).
    private static int s_pools;

    private readonly ProcessPoolOptions _options;
    private readonly PoolGate _gate = new();
    private readonly JobTable _jobs = new();
    private readonly WorkLedger _ledger;
    private readonly PoolDispatcher _dispatcher;
    private readonly ResultIntake _intake;
    private readonly LostWorkSettler _settler;
    private readonly WorkerSupervisor _supervisor;
    private readonly string _idPrefix;
    private readonly bool _defaultJson;
    private long _ids;

    /// <summary>Creates a pool and starts its workers in the background. Prefer <c>Executors.Processes(options)</c>.</summary>
    /// <param name="options">How the pool runs.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">Gamut.Worker.dll or the dotnet host cannot be found.</exception>
    public ProcessPool(ProcessPoolOptions options)
        : this(options, new ProcessesWorkerLauncher())
    {
    }

    internal ProcessPool(ProcessPoolOptions options, IWorkerLauncher launcher)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var logger = options.Logger ?? NullLogger.Instance;
        Registry = options.Registry ?? new JobRegistry();
        _defaultJson = options.HasDefaultSerializer;
        (JobDefinition, byte[])? initializer = null;
        if (options.Initializer is { } init)
        {
            initializer = (JobDefinition.From(Registry.Get(init.JobName)), init.SerializeInput(Serializer));
        }

        var number = Interlocked.Increment(ref s_pools);
        _idPrefix = string.Create(CultureInfo.InvariantCulture, $"pool-{Environment.ProcessId}-{number}-");
        var session = new WorkerSession(options, _defaultJson ? "" : Serializer.GetType().AssemblyQualifiedName!, initializer, this, logger);
        _supervisor = new WorkerSupervisor(_gate, options, launcher, _idPrefix, number, session, this, logger);
        _ledger = new WorkLedger(_gate);
        _dispatcher = new PoolDispatcher(_gate, _ledger, _jobs, options.MaxJobsPerWorker, w => _supervisor.Stopper.RetireLocked(w, StopReason.Recycle));
        _intake = new ResultIntake(_gate, _ledger, _dispatcher);
        _settler = new LostWorkSettler(_gate, _ledger, _dispatcher, _intake, options.StopGracePeriod);
        _supervisor.EnsureWorkers();
        GamutTelemetry.TrackQueueDepth(this);
    }

    /// <inheritdoc/>
    public JobRegistry Registry { get; }

    /// <summary>How many workers the pool keeps.</summary>
    public int Workers => _supervisor.Target;

    /// <summary>The serializer for inputs and results.</summary>
    public IJobSerializer Serializer => _options.Serializer;

    /// <summary>Whether <see cref="Serializer"/> is the default one (primitive numbers then travel raw).</summary>
    bool IMapHost.DefaultJson => _defaultJson;

    /// <summary>The process ids of the workers alive now (starting, ready, or being stopped).</summary>
    public IReadOnlyList<int> WorkerPids => _supervisor.Pids;

    /// <summary>The number of workers ready for work now.</summary>
    public int ReadyWorkers => _supervisor.ReadyCount;

    string IQueueDepthSource.Name => PoolMetrics.Executor;

    /// <summary>Items waiting for a worker (a map chunk's inputs each count).</summary>
    long IQueueDepthSource.QueueDepth => _dispatcher.PendingItems;

    /// <summary>Items handed to workers and not yet answered.</summary>
    long IQueueDepthSource.InFlight => _dispatcher.InFlightItems;

    /// <inheritdoc/>
    public Task<TOut> SubmitAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            options ??= JobOptions.Default;
            if (!ReferenceEquals(options, JobOptions.Default))
            {
                options.Validate();
            }

            var descriptor = Describe<TIn, TOut>(job.Name);
            var payload = SerializeInput(descriptor.Name, input, out var raw);
            var sink = new SubmitSink<TOut>(Serializer, descriptor.Name);
            var id = options.Id ?? NewId();
            _dispatcher.Accept(new SingleJob(_jobs.IndexOf(descriptor), descriptor.Name, id, 1, options, payload, raw, sink) { Trace = PoolTrace.Capture() }, cancellationToken);
            return sink.Task;
        }
        catch (Exception e) when (e is JobException or ExecutorClosedException or ArgumentException)
        {
            return Task.FromException<TOut>(e);
        }
        catch (OperationCanceledException e)
        {
            return Task.FromCanceled<TOut>(e.CancellationToken.IsCancellationRequested ? e.CancellationToken : cancellationToken);
        }
    }

    /// <summary>
    /// Runs a registered job on an input that is already serialized and gives back the serialized result: for
    /// callers that hold payloads as bytes (the Redis worker). Errors are those of <see cref="SubmitAsync{TIn, TOut}"/>.
    /// </summary>
    internal Task<byte[]> SubmitSerializedAsync(string name, byte[] payload, string id, int attempt, JobOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var descriptor = Registry.Get(name);
            var sink = new SerializedSink();
            // The caller keeps the result as bytes in the serializer's format: the worker must not answer raw.
            _dispatcher.Accept(new SingleJob(_jobs.IndexOf(descriptor), descriptor.Name, id, attempt, options, payload, raw: false, sink) { SerializedResult = true, Trace = PoolTrace.Capture() }, cancellationToken);
            return sink.Task;
        }
        catch (Exception e) when (e is JobException or ExecutorClosedException or ArgumentException)
        {
            return Task.FromException<byte[]>(e);
        }
        catch (OperationCanceledException e)
        {
            return Task.FromCanceled<byte[]>(e.CancellationToken.IsCancellationRequested ? e.CancellationToken : cancellationToken);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Inputs travel in chunks (<see cref="MapOptions.ChunkSize"/>, or chosen from how long chunks take): inputs and
    /// results serialized as arrays, raw bytes for primitive numbers with the default serializer, and quick chunks
    /// several to a frame. Each item is still its own job: its own id, its own error, its own retries (a failed item
    /// is retried alone), and a crash fails (or retries) only the item that was running, while the chunk's items
    /// that never started run elsewhere.
    /// </remarks>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        return new MapStream<TIn, TOut>(this, job, null, inputs, options, cancellationToken);
    }

    /// <summary>
    /// Maps a job over an in-memory sequence, read synchronously (no asynchronous step per input). Otherwise the same
    /// as <see cref="MapAsync{TIn, TOut}(JobRef{TIn, TOut}, IAsyncEnumerable{TIn}, MapOptions?, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="inputs">The inputs; an exception while enumerating them ends the map with <see cref="MapInputException"/>.</param>
    /// <param name="options">Ordering, window, chunking, per-job options.</param>
    /// <param name="cancellationToken">Cancels the whole map.</param>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        return new MapStream<TIn, TOut>(this, job, inputs, null, options, cancellationToken);
    }

    /// <inheritdoc/>
    public void CancelAll() => _dispatcher.CancelAll("The job was cancelled by CancelAll");

    /// <inheritdoc/>
    public async Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Drain, CancellationToken cancellationToken = default)
    {
        _ledger.Close(immediate: mode == ShutdownMode.Immediate);
        if (mode == ShutdownMode.Immediate)
        {
            _dispatcher.CancelAll("The process pool was shut down");
        }

        try
        {
            await _ledger.Drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ledger.Close(immediate: true);
            _dispatcher.CancelAll("The process pool was shut down");
            await _supervisor.StopAllAsync().ConfigureAwait(false);
            GamutTelemetry.UntrackQueueDepth(this);
            throw;
        }

        await _supervisor.StopAllAsync().ConfigureAwait(false);
        GamutTelemetry.UntrackQueueDepth(this);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await ShutdownAsync(ShutdownMode.Immediate).ConfigureAwait(false);

    internal string NewId() => string.Concat(_idPrefix, Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture));

    string IMapHost.NewId() => NewId();

    int IMapHost.Prepare<TIn, TOut>(JobRef<TIn, TOut> job) => _jobs.IndexOf(Describe<TIn, TOut>(job.Name));

    void IMapHost.SubmitChunks(List<IMapChunk> chunks, int jobIndex, JobOptions jobOptions, bool quick, PoolTrace? trace, CancellationToken token)
    {
        var accepted = 0;
        foreach (var chunk in chunks)
        {
            accepted += SubmitChunk(chunk, jobIndex, jobOptions, quick, trace, token) ? 1 : 0;
        }

        if (accepted > 0)
        {
            _dispatcher.Dispatch();
        }
    }

    void IWorkerEvents.RoomForWork() => _dispatcher.Dispatch();

    void IWorkerEvents.Results(WorkerHandle w, ReadOnlySpan<byte> body) => _intake.OnResults(w, body);

    void IWorkerEvents.TimedOut(PoolJob job, WorkerHandle w, SlotSnapshot slot) => _settler.OnTimeout(job, w, slot);

    void IWorkerEvents.Ended(WorkerHandle w, WorkerExit exit, SlotSnapshot slot, List<PoolJob> orphans, WorkerCrashLoopException? crashLoop)
    {
        _settler.Settle(w, exit, slot, orphans);
        if (crashLoop is not null)
        {
            _settler.FailUnservable(crashLoop);
        }
    }

    /// <summary>Takes one chunk in (not yet sent); false when nothing of it was queued.</summary>
    private bool SubmitChunk(IMapChunk chunk, int jobIndex, JobOptions jobOptions, bool quick, PoolTrace? trace, CancellationToken token)
    {
        try
        {
            var payload = chunk.TrySerializeRange(0, chunk.Count, out var raw);
            if (payload is not null && payload.Length <= _options.MaxPayloadBytes)
            {
                _dispatcher.Accept(new ChunkJob(jobIndex, JobNameOf(jobIndex), 1, jobOptions, payload, raw, chunk, 0, chunk.Count, token) { Quick = quick, Trace = trace }, token, dispatch: false);
                return true;
            }

            // Some input does not serialize (or the chunk is too large as one): send the items one by one, so
            // each bad one fails alone with its own error.
            var any = false;
            for (var i = 0; i < chunk.Count; i++)
            {
                var one = chunk.TrySerializeItem(i, out var oneRaw, out var error);
                if (one is null)
                {
                    chunk.SetItemError(i, error!);
                }
                else if (one.Length > _options.MaxPayloadBytes)
                {
                    chunk.SetItemError(i, new JobSerializationException($"The input of job '{JobNameOf(jobIndex)}' is {one.Length} bytes, over the pool's limit of {_options.MaxPayloadBytes}"));
                }
                else
                {
                    _dispatcher.Accept(new SingleJob(jobIndex, JobNameOf(jobIndex), chunk.ItemId(i), 1, jobOptions, one, oneRaw, chunk.ItemSink(i)) { Trace = trace }, token, dispatch: false);
                    any = true;
                }
            }

            return any;
        }
        catch (Exception e) when (e is ExecutorClosedException or JobException or OperationCanceledException)
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                if (!chunk.IsResolved(i))
                {
                    chunk.SetItemError(i, e);
                }
            }

            return true;
        }
    }

    private string JobNameOf(int jobIndex) => _jobs[jobIndex].Name;

    private JobDescriptor Describe<TIn, TOut>(string name)
    {
        var descriptor = Registry.Get(name);
        if (descriptor.InputType != typeof(TIn) || descriptor.OutputType != typeof(TOut))
        {
            throw new JobRegistrationException(
                $"Job '{name}' takes {descriptor.InputType.Name} and gives {descriptor.OutputType.Name}; it was asked for as {typeof(TIn).Name} -> {typeof(TOut).Name}");
        }

        if (IsProcessBound(typeof(TIn)) || IsProcessBound(typeof(TOut)))
        {
            throw new JobSerializationException(
                $"Job '{name}' takes or gives a {(IsProcessBound(typeof(TIn)) ? typeof(TIn).Name : typeof(TOut).Name)}, which belongs to one process and cannot cross to a worker");
        }

        return descriptor;
    }

    private static bool IsProcessBound(Type type) =>
        typeof(Stream).IsAssignableFrom(type) || typeof(System.Runtime.InteropServices.SafeHandle).IsAssignableFrom(type) ||
        typeof(Delegate).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type) || type == typeof(IntPtr) ||
        typeof(WaitHandle).IsAssignableFrom(type);

    private byte[] SerializeInput<TIn>(string jobName, TIn input, out bool raw)
    {
        raw = RawValues<TIn>.CanEncode(_defaultJson, new ReadOnlySpan<TIn>(in input));
        if (raw)
        {
            return RawValues<TIn>.ToArray(new ReadOnlySpan<TIn>(in input));
        }

        byte[] payload;
        try
        {
            payload = Serializer.SerializeToArray(input);
        }
        catch (JobSerializationException e)
        {
            throw new JobSerializationException($"The input of job '{jobName}' did not serialize: {e.Message}", e.InnerException ?? e);
        }

        if (payload.Length > _options.MaxPayloadBytes)
        {
            throw new JobSerializationException($"The input of job '{jobName}' is {payload.Length} bytes, over the pool's limit of {_options.MaxPayloadBytes} (ProcessPoolOptions.MaxPayloadBytes)");
        }

        return payload;
    }
}
