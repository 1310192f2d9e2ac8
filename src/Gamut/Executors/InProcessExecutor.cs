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
public abstract partial class InProcessExecutor : IInProcessExecutor, IQueueDepthSource
{
    internal const string DelegateJobName = "delegate";

    private readonly object _gate = new();
    private readonly string _idPrefix;
    private readonly KeyValuePair<string, object?> _executorTag;
    private CancellationTokenSource _cancelAll = new();
    private const int SequenceBlock = 256;
    private static long s_sequence;
    [ThreadStatic]
    private static long t_nextSequence;
    [ThreadStatic]
    private static long t_endSequence;
    private readonly ShutdownGate _shutdown = new();
    private int _engineStopped;

    // The last job looked up: a loop or a map submits one job over and over, and its JobRef carries the same
    // name string each time, so a reference comparison skips the registry's hashing. One object, swapped atomically.
    private object? _lastJob;

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
    public long ActiveJobs => _shutdown.Active;

    /// <summary>Jobs accepted and not yet started (waiting for a slot, or in the loop's queue).</summary>
    public virtual long QueuedJobs => 0;

    long IQueueDepthSource.QueueDepth => QueuedJobs;

    // Accepted and not finished, less those not started; a job between the two reads may be off by one for a moment.
    long IQueueDepthSource.InFlight => Math.Max(0, ActiveJobs - QueuedJobs);

    /// <summary>Whether the executor has begun shutting down.</summary>
    public bool IsShutdown => _shutdown.IsClosed;

    internal ILogger Logger { get; }

    internal TaskCreationOptions ContinuationOptions { get; }

    /// <summary>When set, registered jobs' inputs and outputs cross this serializer, as to a worker process.</summary>
    internal IJobSerializer? RoundTripSerializer { get; init; }

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
        await _shutdown.ShutdownAsync(mode, CancelAll, cancellationToken).ConfigureAwait(false);
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

    // Sequence numbers for ids come from one counter for all executors (ids also carry the executor's prefix), taken
    // by each thread in blocks, so a job whose id is never read costs no interlocked operation for it.
    internal long NextSequence()
    {
        if (t_nextSequence == t_endSequence)
        {
            t_endSequence = Interlocked.Add(ref s_sequence, SequenceBlock) + 1;
            t_nextSequence = t_endSequence - SequenceBlock;
        }

        return t_nextSequence++;
    }

    internal string IdOf(long sequence) => string.Concat(_idPrefix, sequence.ToString(CultureInfo.InvariantCulture));

    private Task<TOut> SubmitJob<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options, CancellationToken cancellationToken, bool tokenCoversExecutor)
    {
        IJobFactory<TIn, TOut> factory;
        try
        {
            var name = job.Name ?? throw new ArgumentException("The job reference is empty (default(JobRef)); create it with JobRef.To or JobRef.Named", nameof(job));
            if (Volatile.Read(ref _lastJob) is LastJob<TIn, TOut> last && ReferenceEquals(last.Name, name))
            {
                factory = last.Factory;
            }
            else
            {
                factory = Registry.Get(name).Typed<TIn, TOut>();
                Volatile.Write(ref _lastJob, new LastJob<TIn, TOut>(name, factory));
            }

            if (input is null && !factory.AcceptsNullInput)
            {
                throw new ArgumentNullException(nameof(input), $"Job '{name}' takes a non-null {typeof(TIn).Name}; its input was null");
            }

            options = Checked(options);
            if (RoundTripSerializer is { } serializer)
            {
                var crossing = new RoundTripJob<TIn, TOut>(factory, serializer);
                input = crossing.CrossIn(input);
                factory = crossing;
            }
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
    private RunPlan Plan(CancellationToken callerToken, TimeSpan? timeout, bool tokenCoversExecutor)
    {
        var executorToken = Volatile.Read(ref _cancelAll).Token;
        if (timeout is null)
        {
            if (!callerToken.CanBeCanceled)
            {
                return new RunPlan(executorToken, null);
            }

            if (tokenCoversExecutor)
            {
                // A map links its token to the executor's once, for all its jobs; a cancellation of it needs no
                // telling apart, so the run needs no control either.
                return new RunPlan(callerToken, null);
            }
        }

        var source = callerToken.CanBeCanceled && !tokenCoversExecutor
            ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, executorToken)
            : CancellationTokenSource.CreateLinkedTokenSource(callerToken.CanBeCanceled ? callerToken : executorToken);
        if (timeout is { } t)
        {
            source.CancelAfter(t);
        }

        return new RunPlan(source.Token, new RunControl(executorToken, callerToken, source, timeout));
    }

    private Task<T> Launch<T>(ExecutorRun<T> run)
    {
        if (!_shutdown.TryEnter())
        {
            return Task.FromException<T>(new ExecutorClosedException(Name));
        }

        if (GamutTelemetry.JobsSubmitted.Enabled)
        {
            GamutTelemetry.JobsSubmitted.Add(1, _executorTag, new(GamutTelemetry.JobTag, run.JobName));
        }

        if (GamutTelemetry.Source.HasListeners())
        {
            // The submit's producer span ends when the job is accepted; the job's span, later and on another
            // thread, is its child (the thread that runs it need not carry the submitter's context).
            using var send = GamutTelemetry.StartSend("gamut", Name, run.JobName, run.JobId);
            if ((send?.Context ?? Activity.Current?.Context) is { } parent && parent != default)
            {
                run.TraceParent = parent;
            }
        }

        run.Watch();
        try
        {
            Schedule(run);
        }
        catch (ExecutorClosedException e)
        {
            run.Reject(e);
        }

        return run.Task;
    }

    private async Task<T> RetryAsync<T>(Func<int, CancellationToken, string, ExecutorRun<T>> create, JobOptions options, CancellationToken cancellationToken)
    {
        // The id is the same across attempts, so it is made now.
        var id = options.Id ?? IdOf(NextSequence());
        var retry = options.Retry;
        ActivityContext previous = default;
        for (var attempt = 1; ; attempt++)
        {
            // Taken before the attempt, so a CancelAll during the attempt also ends the wait for the next one.
            var executorToken = Volatile.Read(ref _cancelAll).Token;
            var run = create(attempt, cancellationToken, id);
            if (previous != default)
            {
                run.PreviousAttempt = previous;
            }

            try
            {
                return await Launch(run).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < retry.MaxAttempts && (e is JobFailedException || (e is JobTimeoutException && retry.RetryOnTimeout)))
            {
                previous = run.Span;
                // A job waiting for its next attempt is still the executor's: CancelAll and shutdown reach it too.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, executorToken);
                await Task.Delay(retry.DelayBefore(attempt + 1), wait.Token).ConfigureAwait(false);
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

    private void Exit() => _shutdown.Exit();

    private sealed record LastJob<TIn, TOut>(string Name, IJobFactory<TIn, TOut> Factory);
}
