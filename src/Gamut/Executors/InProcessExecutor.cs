using System.Diagnostics;
using System.Globalization;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Executors;

/// <summary>
/// What the in-process executors (Inline, Threads, Loop) share: job lookup in the registry, ids, timeouts,
/// retries, cancellation, error wrapping, telemetry and shutdown. Each engine supplies only where a run executes.
/// </summary>
/// <remarks>
/// <para>Cancellation is cooperative: a job stops when it checks its <see cref="JobContext.CancellationToken"/>.
/// A caller never waits for a job that ignores it, though: once the job's token is cancelled (by the caller's
/// token, <see cref="CancelAll"/>, a timeout or an immediate shutdown) the caller's task completes, and the job
/// finishes in its own time. Only the process pool can stop code that does not cooperate.</para>
/// <para>The hot path of a trivial job (no timeout, no retries, no cancellable token) allocates the run (which is
/// also the job's context) and its task; its id is made only if someone reads it.</para>
/// </remarks>
public abstract class InProcessExecutor : IInProcessExecutor, IQueueDepthSource
{
    internal const string DelegateJobName = "delegate";

    private readonly object _gate = new();
    private readonly string _idPrefix;
    private readonly KeyValuePair<string, object?> _executorTag;
    private CancellationTokenSource _cancelAll = new();
    private long _sequence;
    private long _active;
    private volatile bool _closed;
    private TaskCompletionSource? _drained;
    private int _engineStopped;

    private protected InProcessExecutor(string name, JobRegistry? registry, ILogger? logger, bool asynchronousContinuations)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Registry = registry ?? new JobRegistry();
        Logger = logger ?? NullLogger.Instance;
        ContinuationOptions = asynchronousContinuations ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None;
        _idPrefix = string.Create(CultureInfo.InvariantCulture, $"{name}-{Environment.ProcessId:x}-{Random.Shared.Next():x8}-");
        _executorTag = new(GamutTelemetry.ExecutorTag, name);
        GamutTelemetry.TrackQueueDepth(this);
    }

    /// <summary>The executor's name in messages and telemetry (e.g. <c>threads</c>).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public JobRegistry Registry { get; }

    /// <summary>Jobs accepted whose callers are still waiting.</summary>
    public long ActiveJobs => Interlocked.Read(ref _active);

    /// <summary>Jobs accepted and not yet started (waiting for a slot, or in the loop's queue).</summary>
    public virtual long QueuedJobs => 0;

    long IQueueDepthSource.QueueDepth => QueuedJobs;

    /// <summary>Whether the executor has begun shutting down.</summary>
    public bool IsShutdown => _closed;

    internal ILogger Logger { get; }

    internal TaskCreationOptions ContinuationOptions { get; }

    /// <summary>The default map window: submitted, unconsumed jobs a map allows.</summary>
    internal abstract int DefaultWindow { get; }

    /// <inheritdoc/>
    public Task<TOut> SubmitAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitJob(job, input, options, cancellationToken, tokenCoversExecutor: false);

    /// <inheritdoc/>
    public Task<T> SubmitAsync<T>(Func<JobContext, ValueTask<T>> work, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return SubmitDelegate(work, options, cancellationToken, tokenCoversExecutor: false);
    }

    /// <summary>Runs a synchronous delegate (no context needed) and waits for its result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work.</param>
    /// <param name="options">Id, timeout, retries; executor defaults when null.</param>
    /// <param name="cancellationToken">Cancels this work.</param>
    public Task<T> SubmitAsync<T>(Func<T> work, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return SubmitDelegate(_ => ValueTask.FromResult(work()), options, cancellationToken, tokenCoversExecutor: false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        var jobOptions = options.Job with { Id = null };
        return MapCoreAsync(inputs, (input, token) => SubmitJob(job, input, jobOptions, token, tokenCoversExecutor: true), options, cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(Func<TIn, JobContext, ValueTask<TOut>> work, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        var jobOptions = options.Job with { Id = null };
        return MapCoreAsync(inputs, (input, token) => SubmitDelegate(ctx => work(input, ctx), jobOptions, token, tokenCoversExecutor: true), options, cancellationToken);
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

        // Not disposed: runs still hold its token, and a source without a timer holds nothing to release.
        old.Cancel();
        DropQueued();
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
            CancelAll();
        }

        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && mode == ShutdownMode.Drain)
        {
            // Stopped waiting for a drain: stop now instead, as the contract says.
            CancelAll();
            throw;
        }

        if (Interlocked.Exchange(ref _engineStopped, 1) == 0)
        {
            GamutTelemetry.UntrackQueueDepth(this);
            ExecutorLog.ShutDown(Logger, Name, mode);
            await StopEngineAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Shuts down immediately: cancels what is queued and running, then releases the engine.</summary>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(ShutdownMode.Immediate).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Hands a run to the engine: the engine calls <see cref="ExecutorRun.Execute"/> where work runs here.</summary>
    internal abstract void Schedule(ExecutorRun run);

    /// <summary>Cancels the runs waiting in the engine's queue (they never start).</summary>
    internal virtual void DropQueued()
    {
    }

    /// <summary>Releases the engine once every caller has its answer.</summary>
    internal virtual ValueTask StopEngineAsync() => ValueTask.CompletedTask;

    /// <summary>A run queued to the thread pool is due (only engines that queue there override this).</summary>
    internal virtual void RunOnThreadPool(ExecutorRun run)
    {
        run.Execute();
        run.Publish();
    }

    /// <summary>A run whose work went asynchronous has finished it: free its slot, then publish.</summary>
    internal virtual void WorkFinishedAsynchronously(ExecutorRun run) => run.Publish();

    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    internal string IdOf(long sequence) => string.Concat(_idPrefix, sequence.ToString(CultureInfo.InvariantCulture));

    internal long RecordStart(ExecutorRun run, out Activity? activity)
    {
        if (GamutTelemetry.JobsStarted.Enabled)
        {
            GamutTelemetry.JobsStarted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
        }

        activity = GamutTelemetry.Source.HasListeners() ? StartActivity(run) : null;
        return GamutTelemetry.JobDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    internal void Finished(ExecutorRun run, Exception? error, long startTimestamp, Activity? activity)
    {
        if (error is null)
        {
            if (GamutTelemetry.JobsCompleted.Enabled)
            {
                GamutTelemetry.JobsCompleted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
            }
        }
        else
        {
            var kind = ErrorKind(error);
            if (GamutTelemetry.JobsFailed.Enabled)
            {
                GamutTelemetry.JobsFailed.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName), new(GamutTelemetry.ErrorTypeTag, kind));
            }

            if (Logger.IsEnabled(LogLevel.Debug))
            {
                ExecutorLog.JobFailed(Logger, run.JobName, run.JobId, Name, kind, error);
            }
        }

        if (startTimestamp != 0)
        {
            GamutTelemetry.JobDuration.Record(
                Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                _executorTag,
                new(GamutTelemetry.JobTag, run.JobName),
                new(GamutTelemetry.ErrorTypeTag, error is null ? null : ErrorKind(error)));
        }

        if (activity is not null)
        {
            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
                activity.SetTag(GamutTelemetry.ErrorTypeTag, ErrorKind(error));
            }

            activity.Dispose();
        }

        Exit();
    }

    private static string ErrorKind(Exception error) => error switch
    {
        OperationCanceledException => "canceled",
        JobTimeoutException => "timeout",
        _ => "failed",
    };

    private static Activity? StartActivity(ExecutorRun run)
    {
        var activity = GamutTelemetry.Source.StartActivity("gamut.job");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GamutTelemetry.JobTag, run.JobName);
            activity.SetTag(GamutTelemetry.JobIdTag, run.JobId);
            activity.SetTag(GamutTelemetry.AttemptTag, run.Attempt);
        }

        return activity;
    }

    private Task<TOut> SubmitJob<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options, CancellationToken cancellationToken, bool tokenCoversExecutor)
    {
        IJobFactory<TIn, TOut> factory;
        try
        {
            var name = job.Name ?? throw new ArgumentException("The job reference is empty (default(JobRef)); create it with JobRef.To or JobRef.Named", nameof(job));
            factory = Registry.Get(name).Typed<TIn, TOut>();
            if (input is null && !factory.AcceptsNullInput)
            {
                throw new ArgumentNullException(nameof(input), $"Job '{name}' takes a non-null {typeof(TIn).Name}; its input was null");
            }

            options = Checked(options);
        }
        catch (Exception e) when (e is JobException or ArgumentException)
        {
            return Task.FromException<TOut>(e);
        }

        if (options.Retry.MaxAttempts > 1)
        {
            return RetryAsync(
                (attempt, token, id) => new JobRun<TIn, TOut>(this, factory, input, attempt, Plan(token, options.Timeout, tokenCoversExecutor), options.Progress, id),
                options,
                cancellationToken);
        }

        return Launch(new JobRun<TIn, TOut>(this, factory, input, 1, Plan(cancellationToken, options.Timeout, tokenCoversExecutor), options.Progress, options.Id));
    }

    private Task<T> SubmitDelegate<T>(Func<JobContext, ValueTask<T>> work, JobOptions? options, CancellationToken cancellationToken, bool tokenCoversExecutor)
    {
        try
        {
            options = Checked(options);
        }
        catch (ArgumentException e)
        {
            return Task.FromException<T>(e);
        }

        if (options.Retry.MaxAttempts > 1)
        {
            return RetryAsync(
                (attempt, token, id) => new DelegateRun<T>(this, work, attempt, Plan(token, options.Timeout, tokenCoversExecutor), options.Progress, id),
                options,
                cancellationToken);
        }

        return Launch(new DelegateRun<T>(this, work, 1, Plan(cancellationToken, options.Timeout, tokenCoversExecutor), options.Progress, options.Id));
    }

    private static JobOptions Checked(JobOptions? options)
    {
        if (options is null || ReferenceEquals(options, JobOptions.Default))
        {
            return JobOptions.Default;
        }

        options.Validate();
        return options;
    }

    // The job's token: the executor's own when nothing else can cancel it (no allocation), else a linked source.
    private RunCancellation Plan(CancellationToken callerToken, TimeSpan? timeout, bool tokenCoversExecutor)
    {
        var executorToken = Volatile.Read(ref _cancelAll).Token;
        if (timeout is null)
        {
            if (!callerToken.CanBeCanceled)
            {
                return new RunCancellation(executorToken, default, executorToken, null, null);
            }

            if (tokenCoversExecutor)
            {
                // A map links its token to the executor's once, for all its jobs.
                return new RunCancellation(callerToken, callerToken, executorToken, null, null);
            }
        }

        var source = callerToken.CanBeCanceled && !tokenCoversExecutor
            ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, executorToken)
            : CancellationTokenSource.CreateLinkedTokenSource(callerToken.CanBeCanceled ? callerToken : executorToken);
        if (timeout is { } t)
        {
            source.CancelAfter(t);
        }

        return new RunCancellation(source.Token, callerToken, executorToken, source, timeout);
    }

    private Task<T> Launch<T>(ExecutorRun<T> run)
    {
        Interlocked.Increment(ref _active);
        if (_closed)
        {
            Exit();
            return Task.FromException<T>(new ExecutorClosedException(Name));
        }

        if (GamutTelemetry.JobsSubmitted.Enabled)
        {
            GamutTelemetry.JobsSubmitted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
        }

        run.Watch();
        Schedule(run);
        return run.Task;
    }

    private async Task<T> RetryAsync<T>(Func<int, CancellationToken, string, ExecutorRun<T>> create, JobOptions options, CancellationToken cancellationToken)
    {
        // The id is the same across attempts, so it is made now.
        var id = options.Id ?? IdOf(NextSequence());
        var retry = options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Launch(create(attempt, cancellationToken, id)).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < retry.MaxAttempts && (e is JobFailedException || (e is JobTimeoutException && retry.RetryOnTimeout)))
            {
                await Task.Delay(retry.DelayBefore(attempt + 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async IAsyncEnumerable<JobOutcome<TIn, TOut>> MapCoreAsync<TIn, TOut>(
        IAsyncEnumerable<TIn> inputs,
        Func<TIn, CancellationToken, Task<TOut>> submit,
        MapOptions options,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One link to the executor's CancelAll for the whole map, so each job needs no linked source of its own.
        using var map = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Volatile.Read(ref _cancelAll).Token);
        var outcomes = MapRunner.RunAsync(inputs, (input, _, token) => submit(input, token), options.MaxInFlight ?? DefaultWindow, options.Ordered, map.Token);
        await foreach (var outcome in outcomes.ConfigureAwait(false))
        {
            yield return outcome;
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
