using System.Diagnostics;
using System.Runtime.CompilerServices;
using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>
/// One attempt of one job on an in-process executor. It is the job's <see cref="JobContext"/>, the thread-pool
/// work item, and the holder of the caller's task, so a trivial job costs this object and its task.
/// </summary>
/// <remarks>
/// <para>A run has two ends that can come in either order: its work finishing (which frees the engine's slot)
/// and its caller's task completing (which is published once). Normally the work finishes and the executor then
/// publishes its outcome; when the job's token is cancelled first (the caller's token, CancelAll, a timeout)
/// the caller's task completes at once and the work, if it ignores its token, finishes in its own time.</para>
/// </remarks>
internal abstract class ExecutorRun : JobContext, IThreadPoolWorkItem
{
    private protected readonly InProcessExecutor Executor;
    private readonly long _sequence;

    private protected ExecutorRun(InProcessExecutor executor, string jobName, int attempt, CancellationToken token, RunControl? control, IProgress<JobProgress>? progress, string? jobId)
        : base(jobName, attempt, token, executor.Logger, progress, jobId)
    {
        Executor = executor;
        Control = control;
        _sequence = jobId is null ? executor.NextSequence() : 0;
    }

    /// <summary>What only some runs need (a caller's token, a timeout, a registration, an activity); null for a trivial job.</summary>
    private protected RunControl? Control { get; set; }

    /// <summary>
    /// The submitter's span context (its <c>send</c> span), parent of the job's span wherever the run starts; kept in
    /// the control, so a run nobody traces allocates nothing for it.
    /// </summary>
    public ActivityContext TraceParent
    {
        get => Control?.TraceParent ?? default;
        set => (Control ??= new RunControl(CancellationToken)).TraceParent = value;
    }

    /// <summary>The span of the attempt before this one (a retry's span links to it); none on a first attempt.</summary>
    public ActivityContext PreviousAttempt
    {
        get => Control?.PreviousAttempt ?? default;
        set => (Control ??= new RunControl(CancellationToken)).PreviousAttempt = value;
    }

    /// <summary>This run's own span, once it started (while anybody listens).</summary>
    public ActivityContext Span => Control?.Activity?.Context ?? default;

    /// <summary>Set by a dedicated thread that waits for this run's asynchronous work to finish.</summary>
    internal ManualResetEventSlim? WorkFinishedSignal
    {
        get => Control?.WorkFinishedSignal;
        set => (Control ??= new RunControl(CancellationToken)).WorkFinishedSignal = value;
    }

    /// <summary>Runs the work on the current thread. True when the work finished before returning.</summary>
    public abstract bool Execute();

    /// <summary>Completes the caller's task with the outcome the work left (after the engine freed the slot).</summary>
    public abstract void Publish();

    /// <summary>Completes a run that never started (dropped from a queue by CancelAll or shutdown) as cancelled.</summary>
    public abstract void CancelQueued();

    /// <summary>Completes a run the engine would not take (it stopped between the check and the hand-over) with <paramref name="error"/>.</summary>
    public abstract void Reject(Exception error);

    void IThreadPoolWorkItem.Execute() => Executor.RunOnThreadPool(this);

    private protected override string CreateJobId() => Executor.IdOf(_sequence);
}

/// <summary>
/// The state of a run beyond the common case: what a cancellation of its token means (the caller's token, the
/// executor's, a timeout), the linked source it owns, the registration that watches its token, its activity. A
/// trivial job has none and allocates none.
/// </summary>
internal sealed class RunControl
{
    public RunControl(CancellationToken executorToken, CancellationToken callerToken = default, CancellationTokenSource? ownedSource = null, TimeSpan? timeout = null)
    {
        ExecutorToken = executorToken;
        CallerToken = callerToken;
        OwnedSource = ownedSource;
        Timeout = timeout;
    }

    /// <summary>The submitter's token.</summary>
    public CancellationToken CallerToken { get; }

    /// <summary>The executor's CancelAll/shutdown token at submission.</summary>
    public CancellationToken ExecutorToken { get; }

    /// <summary>A linked source made for this run (disposed when its work ends); null when the job's token is shared.</summary>
    public CancellationTokenSource? OwnedSource { get; }

    /// <summary>The run's timeout, whose expiry cancels <see cref="OwnedSource"/>.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Whether the caller must see a cancellation even when the job ignores its token (from submission on).</summary>
    public bool WatchesEarly => OwnedSource is not null;

    public CancellationTokenRegistration Registration { get; set; }

    public Activity? Activity { get; set; }

    public ActivityContext TraceParent { get; set; }

    public ActivityContext PreviousAttempt { get; set; }

    public ManualResetEventSlim? WorkFinishedSignal { get; set; }
}

/// <summary>A run that gives a <typeparamref name="T"/>.</summary>
internal abstract class ExecutorRun<T> : ExecutorRun
{
    private const int NotPublished = 0;
    private const int PublishedState = 1;

    // Engines whose callers may continue on the engine's thread (the pool, inline) complete a bare task, as an async
    // method does; the others (the loop, dedicated threads) a source that runs continuations asynchronously.
    private readonly TaskCompletionSource<T>? _source;
    private AsyncTaskMethodBuilder<T> _builder;
    private int _published;
    private volatile bool _workDone;
    private T _result = default!;
    private Exception? _error;
    private long _startTimestamp;

    private protected ExecutorRun(InProcessExecutor executor, string jobName, int attempt, CancellationToken token, RunControl? control, IProgress<JobProgress>? progress, string? jobId)
        : base(executor, jobName, attempt, token, control, progress, jobId)
    {
        if (executor.ContinuationOptions == TaskCreationOptions.None)
        {
            _builder = AsyncTaskMethodBuilder<T>.Create();

            // Made now, before the run is shared: the builder makes its task lazily and not thread-safely.
            _ = _builder.Task;
        }
        else
        {
            _source = new TaskCompletionSource<T>(executor.ContinuationOptions);
        }
    }

    public Task<T> Task => _source?.Task ?? _builder.Task;

    /// <summary>The job's own work.</summary>
    private protected abstract ValueTask<T> InvokeAsync();

    /// <summary>Called once the run is accepted, before it is queued: watches its token when the caller must not wait for the work.</summary>
    public void Watch()
    {
        if (Control is { WatchesEarly: true } control)
        {
            control.Registration = CancellationToken.UnsafeRegister(static s => ((ExecutorRun<T>)s!).OnTokenCancelled(), this);
        }
    }

    public override bool Execute()
    {
        if (Volatile.Read(ref _published) != NotPublished)
        {
            // Cancelled while queued: the caller has its answer and the work never runs.
            EndWork();
            return true;
        }

        if (CancellationToken.IsCancellationRequested)
        {
            _error = CancellationOutcome();
            EndWork();
            return true;
        }

        _startTimestamp = Executor.RecordStart(this, out var activity);
        if (activity is not null)
        {
            (Control ??= new RunControl(CancellationToken)).Activity = activity;
        }

        ValueTask<T> pending;
        try
        {
            pending = InvokeAsync();
        }
        catch (Exception e)
        {
            Record(e);
            EndWork();
            return true;
        }

        if (pending.IsCompletedSuccessfully)
        {
            _result = pending.Result;
            EndWork();
            return true;
        }

        _ = AwaitWorkAsync(pending);
        return false;
    }

    public override void Publish()
    {
        // Without a control nothing watches the token, so the work's own path is the only publisher: no interlock.
        if (Control is null)
        {
            if (_published != NotPublished)
            {
                return;
            }

            Volatile.Write(ref _published, PublishedState);
        }
        else if (Interlocked.Exchange(ref _published, PublishedState) != NotPublished)
        {
            return;
        }

        var error = _error;
        Executor.Finished(this, error, _startTimestamp, Control?.Activity);
        if (_source is { } source)
        {
            if (error is null)
            {
                source.TrySetResult(_result);
            }
            else if (error is OperationCanceledException oce)
            {
                source.TrySetCanceled(oce.CancellationToken);
            }
            else
            {
                source.TrySetException(error);
            }
        }
        else if (error is null)
        {
            _builder.SetResult(_result);
        }
        else
        {
            // An OperationCanceledException makes the task cancelled (with its token), as in an async method.
            _builder.SetException(error);
        }
    }

    public override void CancelQueued()
    {
        _error = CancellationOutcome();
        EndWork();
        Publish();
    }

    public override void Reject(Exception error)
    {
        _error = error;
        EndWork();
        Publish();
    }

    private async ValueTask AwaitWorkAsync(ValueTask<T> pending)
    {
        // The caller must not wait for a job that ignores its token: once the work is asynchronous, a
        // cancellation of the token publishes at once (runs that watch early already do).
        if (Control is not { WatchesEarly: true } && CancellationToken.CanBeCanceled)
        {
            var control = Control ??= new RunControl(CancellationToken);
            control.Registration = CancellationToken.UnsafeRegister(static s => ((ExecutorRun<T>)s!).OnTokenCancelled(), this);
        }

        try
        {
            _result = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Record(e);
        }

        EndWork();
        if (WorkFinishedSignal is { } signal)
        {
            signal.Set();
        }

        Executor.WorkFinishedAsynchronously(this);
    }

    // The work is over: nothing watches its token any more. (Done here, on the work's own path, never from a
    // cancellation callback, where the registration may still be being written and the source is mid-cancel.)
    private void EndWork()
    {
        if (Control is { } control)
        {
            control.Registration.Unregister();
            control.OwnedSource?.Dispose();
        }

        _workDone = true;
    }

    private void OnTokenCancelled()
    {
        if (Volatile.Read(ref _published) != NotPublished)
        {
            return;
        }

        var outcome = CancellationOutcome();
        if (!_workDone)
        {
            _error = outcome;
        }

        Publish();
    }

    private void Record(Exception e)
    {
        _error = e is OperationCanceledException && CancellationToken.IsCancellationRequested
            ? CancellationOutcome()
            : new JobFailedException(JobName, JobId, JobError.From(e), Attempt, e);
    }

    // What a cancellation of the job's token means to the caller: their own token, the executor's CancelAll or
    // shutdown, or (when neither) the run's timeout.
    private Exception CancellationOutcome()
    {
        var control = Control;
        if (control is null)
        {
            return new OperationCanceledException(CancellationToken);
        }

        if (control.CallerToken.IsCancellationRequested)
        {
            return new OperationCanceledException(control.CallerToken);
        }

        if (control.ExecutorToken.IsCancellationRequested || control.Timeout is not { } timeout)
        {
            return new OperationCanceledException(CancellationToken);
        }

        return new JobTimeoutException(JobName, JobId, timeout, "its cancellation token was cancelled (in-process code stops only when it checks its token)");
    }
}

/// <summary>A run's token, and its control when it needs one.</summary>
internal readonly record struct RunPlan(CancellationToken Token, RunControl? Control);

/// <summary>A delegate submitted to an in-process executor.</summary>
internal sealed class DelegateRun<T> : ExecutorRun<T>
{
    private readonly Func<JobContext, ValueTask<T>> _work;

    public DelegateRun(InProcessExecutor executor, Func<JobContext, ValueTask<T>> work, int attempt, in RunPlan plan, IProgress<JobProgress>? progress, string? jobId)
        : base(executor, InProcessExecutor.DelegateJobName, attempt, plan.Token, plan.Control, progress, jobId) => _work = work;

    private protected override ValueTask<T> InvokeAsync() => _work(this);
}

/// <summary>A registered job submitted to an in-process executor.</summary>
internal sealed class JobRun<TIn, TOut> : ExecutorRun<TOut>
{
    private readonly IJobFactory<TIn, TOut> _job;
    private readonly TIn _input;

    public JobRun(InProcessExecutor executor, IJobFactory<TIn, TOut> job, TIn input, int attempt, in RunPlan plan, IProgress<JobProgress>? progress, string? jobId)
        : base(executor, job.Name, attempt, plan.Token, plan.Control, progress, jobId)
    {
        _job = job;
        _input = input;
    }

    private protected override ValueTask<TOut> InvokeAsync() => _job.Create().RunAsync(_input, this);
}
