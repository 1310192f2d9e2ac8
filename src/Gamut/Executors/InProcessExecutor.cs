using Gamut.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Executors;

/// <summary>
/// What the in-process executors (Inline, Threads, Loop) share: job lookup in the registry, ids, timeouts,
/// retries, cancellation, error wrapping and shutdown. A subclass supplies only where a run executes
/// (<see cref="ExecuteAsync{T}"/>).
/// </summary>
public abstract class InProcessExecutor : IInProcessExecutor
{
    private readonly string _idPrefix;
    private readonly object _gate = new();
    private CancellationTokenSource _cancelAll = new();
    private long _sequence;
    private long _active;
    private volatile bool _closed;
    private TaskCompletionSource? _drained;

    /// <summary>Sets up the shared parts.</summary>
    /// <param name="name">The executor's name in messages (e.g. "threads").</param>
    /// <param name="registry">The jobs it may run.</param>
    /// <param name="logger">Where jobs log; a no-op logger when null.</param>
    protected InProcessExecutor(string name, JobRegistry? registry, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Registry = registry ?? new JobRegistry();
        Logger = logger ?? NullLogger.Instance;
        _idPrefix = $"{name}-{Environment.ProcessId}-{Random.Shared.Next():x}-";
    }

    /// <summary>The executor's name in messages.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public JobRegistry Registry { get; }

    /// <summary>Where jobs log.</summary>
    protected ILogger Logger { get; }

    /// <summary>The default map window: the number of submitted, unconsumed jobs a map allows.</summary>
    protected abstract int DefaultWindow { get; }

    /// <summary>Jobs accepted and not yet finished.</summary>
    public long ActiveJobs => Interlocked.Read(ref _active);

    /// <summary>Whether the executor has begun shutting down.</summary>
    public bool IsShutdown => _closed;

    /// <inheritdoc/>
    public Task<TOut> SubmitAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        JobDescriptor descriptor;
        try
        {
            descriptor = Registry.Get(job.Name);
            _ = descriptor.Create<TIn, TOut>();
        }
        catch (JobException e)
        {
            return Task.FromException<TOut>(e);
        }

        return RunAsync(job.Name, ctx => descriptor.Create<TIn, TOut>().RunAsync(input, ctx), options, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<T> SubmitAsync<T>(Func<JobContext, ValueTask<T>> work, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync("delegate", work, options, cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= MapOptions.Default;
        options.Validate();
        var jobOptions = options.Job with { Id = null };
        return MapRunner.RunAsync(
            inputs,
            (input, _, token) => SubmitAsync(job, input, jobOptions, token),
            options.MaxInFlight ?? DefaultWindow,
            options.Ordered,
            cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(Func<TIn, JobContext, ValueTask<TOut>> work, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        options ??= MapOptions.Default;
        options.Validate();
        var jobOptions = options.Job with { Id = null };
        return MapRunner.RunAsync(
            inputs,
            (input, _, token) => RunAsync("delegate", ctx => work(input, ctx), jobOptions, token),
            options.MaxInFlight ?? DefaultWindow,
            options.Ordered,
            cancellationToken);
    }

    /// <inheritdoc/>
    public void CancelAll()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _cancelAll;
            _cancelAll = new CancellationTokenSource();
        }

        old.Cancel();
        old.Dispose();
    }

    /// <inheritdoc/>
    public async Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Drain, CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_gate)
        {
            _closed = true;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.Read(ref _active) == 0)
            {
                _drained.TrySetResult();
            }

            drained = _drained.Task;
        }

        if (mode == ShutdownMode.Immediate)
        {
            _cancelAll.Cancel();
        }

        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && mode == ShutdownMode.Drain)
        {
            _cancelAll.Cancel();
            throw;
        }

        await OnShutdownAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(ShutdownMode.Immediate).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="work"/> where this executor runs things.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work.</param>
    /// <param name="context">Its context.</param>
    protected abstract Task<T> ExecuteAsync<T>(Func<JobContext, ValueTask<T>> work, JobContext context);

    /// <summary>Releases the engine's resources once every job has finished.</summary>
    protected virtual ValueTask OnShutdownAsync() => ValueTask.CompletedTask;

    private async Task<T> RunAsync<T>(string name, Func<JobContext, ValueTask<T>> work, JobOptions? options, CancellationToken cancellationToken)
    {
        options ??= JobOptions.Default;
        if (!ReferenceEquals(options, JobOptions.Default))
        {
            options.Validate();
        }

        Enter();
        try
        {
            var id = options.Id ?? string.Concat(_idPrefix, Interlocked.Increment(ref _sequence).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var retry = options.Retry;
            for (var attempt = 1; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var all = _cancelAll.Token;
                using var linked = cancellationToken.CanBeCanceled || options.Timeout is not null
                    ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, all)
                    : null;
                var token = linked?.Token ?? all;
                var context = new JobContext(id, name, attempt, token, Logger);
                try
                {
                    var task = ExecuteAsync(work, context);
                    if (options.Timeout is { } timeout)
                    {
                        try
                        {
                            return await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                        }
                        catch (TimeoutException)
                        {
                            // In-process code cannot be stopped from outside: cancel its token and stop waiting.
                            // (The process pool stops a runaway job for real.)
                            await linked!.CancelAsync().ConfigureAwait(false);
                            var error = new JobTimeoutException(name, id, timeout, "its cancellation token was cancelled");
                            if (retry.RetryOnTimeout && attempt < retry.MaxAttempts)
                            {
                                await Task.Delay(retry.DelayBefore(attempt + 1), cancellationToken).ConfigureAwait(false);
                                continue;
                            }

                            throw error;
                        }
                    }

                    return cancellationToken.CanBeCanceled
                        ? await task.WaitAsync(cancellationToken).ConfigureAwait(false)
                        : await task.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (e is not JobTimeoutException)
                {
                    if (attempt < retry.MaxAttempts)
                    {
                        await Task.Delay(retry.DelayBefore(attempt + 1), cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw new JobFailedException(name, id, JobError.From(e), attempt, e);
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    private void Enter()
    {
        Interlocked.Increment(ref _active);
        if (_closed)
        {
            Exit();
            throw new ExecutorClosedException(Name);
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _active) == 0 && _closed)
        {
            lock (_gate)
            {
                _drained?.TrySetResult();
            }
        }
    }
}
