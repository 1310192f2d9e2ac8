using System.Globalization;
using System.Security.Cryptography;
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
public sealed partial class ProcessPool : IExecutor
{
    private static int s_pools;

    private readonly ProcessPoolOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly LinkedList<PoolJob> _pending = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly JobTable _jobs = new();
    private readonly StartFailures _startFailures;
    private readonly WorkerSpawner _spawner;
    private readonly WorkerListener _listener;
    private readonly string _idPrefix;
    private readonly JobDefinition? _initializer;
    private readonly byte[] _initializerInput = [];
    private readonly Timer _tick;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ids;
    private long _seq;
    private int _workerIds;
    private int _outstanding;
    private bool _closed;
    private bool _immediate;
    private bool _firstConnected;
    private readonly bool _defaultJson;
    private Task? _stopped;
    private WorkerCrashLoopException? _crashLoop;

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
        _logger = options.Logger ?? NullLogger.Instance;
        Registry = options.Registry ?? new JobRegistry();
        _defaultJson = options.HasDefaultSerializer;
        Workers = options.Workers ?? Environment.ProcessorCount;
        _startFailures = new StartFailures(options.RestartIntensity, options.RestartPeriod);
        _spawner = new WorkerSpawner(launcher, options.WorkerAssemblyPath, options.Environment, _logger);
        if (options.Initializer is { } init)
        {
            var descriptor = Registry.Get(init.JobName);
            _initializer = JobDefinition.From(descriptor);
            _initializerInput = init.SerializeInput(Serializer);
        }

        var number = Interlocked.Increment(ref s_pools);
        _idPrefix = string.Create(CultureInfo.InvariantCulture, $"pool-{Environment.ProcessId}-{number}-");
        // Who connects is checked (peer pid and uid, and a per-worker secret), so another local process cannot pose
        // as a worker.
        _listener = new WorkerListener(number, options.MaxPayloadBytes + (1 << 20), Claim, Serve, _logger);
        _tick = new Timer(_ => Tick(), null, TickPeriod, TickPeriod);
        EnsureWorkers();
    }

    /// <inheritdoc/>
    public JobRegistry Registry { get; }

    /// <summary>How many workers the pool keeps.</summary>
    public int Workers { get; }

    /// <summary>The serializer for inputs and results.</summary>
    public IJobSerializer Serializer => _options.Serializer;

    /// <summary>Whether <see cref="Serializer"/> is the default one (primitive numbers then travel raw).</summary>
    bool IMapHost.DefaultJson => _defaultJson;

    /// <summary>The process ids of the workers alive now (starting, ready, or being stopped).</summary>
    public IReadOnlyList<int> WorkerPids
    {
        get
        {
            lock (_gate)
            {
                return [.. _workers.Where(w => w.Pid != 0).Select(w => w.Pid)];
            }
        }
    }

    /// <summary>The number of workers ready for work now.</summary>
    public int ReadyWorkers
    {
        get
        {
            lock (_gate)
            {
                return _workers.Count(w => w.State == WorkerState.Ready);
            }
        }
    }

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
            var sink = new SubmitSink<TOut>(this, descriptor.Name);
            var id = options.Id ?? NewId();
            Accept(new SingleJob(_jobs.IndexOf(descriptor), descriptor.Name, id, 1, options, payload, raw, sink), cancellationToken);
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
            Accept(new SingleJob(_jobs.IndexOf(descriptor), descriptor.Name, id, attempt, options, payload, raw: false, sink) { SerializedResult = true }, cancellationToken);
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

    private sealed class SerializedSink() : TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously), IResultSink
    {
        public void SetResult(ReadOnlySpan<byte> payload, bool raw)
        {
            if (raw)
            {
                TrySetException(new JobSerializationException("The worker answered raw bytes where serialized ones were asked for"));
                return;
            }

            TrySetResult(payload.ToArray());
        }

        public void SetError(Exception error)
        {
            if (error is OperationCanceledException oce)
            {
                TrySetCanceled(oce.CancellationToken);
            }
            else
            {
                TrySetException(error);
            }
        }
    }

    /// <inheritdoc/>
    public void CancelAll()
    {
        foreach (var job in Snapshot())
        {
            CancelJob(job, new OperationCanceledException("The job was cancelled by CancelAll"));
        }
    }

    /// <inheritdoc/>
    public async Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Drain, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _closed = true;
            _immediate |= mode == ShutdownMode.Immediate;
            CheckDrainedLocked();
        }

        if (mode == ShutdownMode.Immediate)
        {
            CancelEverything();
        }

        try
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                _immediate = true;
            }

            CancelEverything();
            await StopWorkersAsync().ConfigureAwait(false);
            throw;
        }

        await StopWorkersAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await ShutdownAsync(ShutdownMode.Immediate).ConfigureAwait(false);

    internal string NewId() => string.Concat(_idPrefix, Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture));

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
        typeof(System.Threading.WaitHandle).IsAssignableFrom(type);

    private byte[] SerializeInput<TIn>(string jobName, TIn input, out bool raw)
    {
        raw = Protocol.RawValues<TIn>.CanEncode(_defaultJson, new ReadOnlySpan<TIn>(in input));
        if (raw)
        {
            return Protocol.RawValues<TIn>.ToArray(new ReadOnlySpan<TIn>(in input));
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
