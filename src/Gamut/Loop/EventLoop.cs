using System.Collections.Concurrent;
using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Loop;

/// <summary>
/// A single-threaded event loop, Gamut's answer to Twisted's reactor and asyncio: one thread runs every callback
/// posted to it, every timer, every signal and I/O event, and every continuation of the async jobs it runs.
/// Nothing on the loop runs at the same time as anything else on it, so its handlers share state without locks.
/// </summary>
/// <remarks>
/// <para>It is also an executor (<see cref="IInProcessExecutor"/>): jobs and delegates submitted to it run on the
/// loop thread, and their <c>await</c>s resume there (the thread has a <see cref="SynchronizationContext"/>).</para>
/// <para>On Linux the loop thread itself waits in <c>epoll</c>: sockets opened with
/// <see cref="ListenTcp(System.Net.IPEndPoint, Func{TcpProtocol}, int)"/> are read and written on the loop thread
/// with no other thread involved. Elsewhere the loop runs callbacks, timers, signals and jobs only.</para>
/// <para>A handler must not block: while it runs, nothing else on the loop does. A watchdog reports a handler that
/// runs longer than <see cref="EventLoopOptions.BlockedThreshold"/>. Put blocking or CPU-heavy work on a Threads
/// executor and await it from the loop.</para>
/// </remarks>
public sealed partial class EventLoop : InProcessExecutor
{
    [ThreadStatic]
    private static EventLoop? t_current;

    private readonly ConcurrentQueue<LoopWork> _remote = new();
    private readonly Queue<LoopWork> _local = new(256);
    private readonly IPoller _poller;
    private readonly Thread _thread;
    private readonly LoopSynchronizationContext _context;
    private readonly LoopWatchdog? _watchdog;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _threadId;
    private long _lastPoll;
    private int _busyTurns;
    private int _sleeping;
    private int _wakePending;
    private volatile bool _stopRequested;
    private volatile bool _stopped;

    // Read by the watchdog: odd while a callback runs; the callback running.
    private long _callbackSequence;
    private object? _runningCallback;
    private object? _runningState;

    /// <summary>Creates a loop and starts its thread.</summary>
    /// <param name="options">Thread name, watchdog threshold, registry, logger.</param>
    public EventLoop(EventLoopOptions? options = null)
        : base("loop", options?.Registry, options?.Logger, asynchronousContinuations: true)
    {
        options ??= EventLoopOptions.Default;
        options.Validate();
        Options = options;
        _context = new LoopSynchronizationContext(this);
        _poller = EpollPoller.IsSupported ? new EpollPoller() : new PortablePoller();
        _timers = new TimerHeap();
        _thread = new Thread(ThreadMain) { IsBackground = true, Name = options.ThreadName };
        _threadId = _thread.ManagedThreadId;
        _thread.Start();
        if (options.BlockedThreshold is { } threshold)
        {
            _watchdog = new LoopWatchdog(this, threshold);
        }
    }

    /// <summary>The loop running the current thread's code, or null when the current thread is not a loop's.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>The settings the loop was created with.</summary>
    public EventLoopOptions Options { get; }

    /// <summary>The managed thread id of the loop thread.</summary>
    public int ThreadId => _threadId;

    /// <summary>Whether the calling code runs on this loop's thread.</summary>
    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == _threadId;

    /// <summary>Whether the loop can watch sockets (Linux, epoll).</summary>
    public bool SupportsSockets => _poller.SupportsDescriptors;

    /// <summary>Completes when the loop thread has ended.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Callbacks posted and not yet run.</summary>
    public override long QueuedJobs => _remote.Count + (IsOnLoopThread ? _local.Count : 0);

    /// <summary>
    /// Raised on the watchdog's thread (the loop thread is busy) when a handler has run longer than
    /// <see cref="EventLoopOptions.BlockedThreshold"/>. Once per such handler.
    /// </summary>
    public event EventHandler<LoopBlockedEventArgs>? Blocked;

    /// <summary>Raised on the loop thread when a callback throws; the loop logs the error and goes on.</summary>
    public event EventHandler<LoopErrorEventArgs>? CallbackFailed;

    internal override int DefaultWindow => 256;

    /// <summary>Runs <paramref name="callback"/> on the loop thread, after what is already queued. From any thread.</summary>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ExecutorClosedException">The loop has stopped.</exception>
    public void Post(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Enqueue(new LoopWork(callback, null), throwIfStopped: true);
    }

    /// <summary>Runs <paramref name="callback"/> with <paramref name="state"/> on the loop thread (no closure needed). From any thread.</summary>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <exception cref="ExecutorClosedException">The loop has stopped.</exception>
    public void Post(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Enqueue(new LoopWork(callback, state), throwIfStopped: true);
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> unless called on the loop thread.</summary>
    public void VerifyAccess()
    {
        if (!IsOnLoopThread)
        {
            throw new InvalidOperationException($"This must run on the event loop's thread ({_threadId}); it ran on thread {Environment.CurrentManagedThreadId}. Post it to the loop.");
        }
    }

    internal static void RunJob(ExecutorRun run)
    {
        if (run.Execute())
        {
            run.Publish();
        }
    }

    internal override void Schedule(ExecutorRun run) => Enqueue(new LoopWork(run, null), throwIfStopped: true);

    internal override async ValueTask StopEngineAsync()
    {
        RequestStop();
        if (!IsOnLoopThread)
        {
            await _completion.Task.ConfigureAwait(false);
        }
    }

    internal void Enqueue(in LoopWork work, bool throwIfStopped)
    {
        if (_stopped)
        {
            if (throwIfStopped)
            {
                throw new ExecutorClosedException(Name);
            }

            return;
        }

        if (Environment.CurrentManagedThreadId == _threadId)
        {
            _local.Enqueue(work);
            return;
        }

        _remote.Enqueue(work);

        // The loop announces it is about to sleep before its last look at the queue, so either it sees this work
        // or we see it sleeping (both sides use full fences). Only the first poster after it slept writes the eventfd.
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _poller.Wake();
        }
    }

    internal void OnBlocked(string handler, TimeSpan blockedFor)
    {
        LoopLog.Blocked(Logger, handler, blockedFor.TotalMilliseconds, Options.BlockedThreshold!.Value.TotalMilliseconds);
        GamutTelemetry.LoopBlocked.Add(1);
        GamutTelemetry.LoopBlockedDuration.Record(blockedFor.TotalSeconds);
        try
        {
            Blocked?.Invoke(this, new LoopBlockedEventArgs(handler, blockedFor));
        }
        catch (Exception e)
        {
            LoopLog.HandlerFailed(Logger, e);
        }
    }

    internal (long Sequence, object? Callback, object? State) RunningCallback =>
        (Volatile.Read(ref _callbackSequence), Volatile.Read(ref _runningCallback), Volatile.Read(ref _runningState));

    private void RequestStop()
    {
        if (_stopRequested)
        {
            return;
        }

        _stopRequested = true;
        _poller.Wake();
    }

    private void ThreadMain()
    {
        t_current = this;
        SynchronizationContext.SetSynchronizationContext(_context);
        try
        {
            while (!_stopRequested)
            {
                RunOnce();
            }
        }
        catch (Exception e)
        {
            // Only the loop's own machinery can get here (callbacks' errors are caught one by one).
            LoopLog.LoopFailed(Logger, e);
        }
        finally
        {
            _stopped = true;
            _watchdog?.Dispose();
            CloseAll();
            _poller.Dispose();
            SynchronizationContext.SetSynchronizationContext(null);
            t_current = null;
            _completion.TrySetResult();
        }
    }

    private void RunOnce()
    {
        _turnTime = Now();

        // Callbacks queued before this turn run now; what they queue runs next turn, after I/O gets its chance.
        for (var n = _local.Count; n > 0 && _local.TryDequeue(out var work); n--)
        {
            Invoke(work);
        }

        for (var budget = 1024; budget > 0 && _remote.TryDequeue(out var work); budget--)
        {
            Invoke(work);
        }

        var timeout = RunDueTimers();
        if (_local.Count > 0 || !_remote.IsEmpty || _stopRequested)
        {
            timeout = 0;
        }

        if (timeout != 0)
        {
            Interlocked.Exchange(ref _sleeping, 1);
            if (!_remote.IsEmpty)
            {
                timeout = 0;
            }
        }
        else if (++_busyTurns < 64 && _turnTime - _lastPoll < PollEvery && !_stopRequested)
        {
            // Busy turns (callbacks posting callbacks) look at I/O every 64 turns or 0.2 ms, whichever is first,
            // instead of making a system call per turn.
            return;
        }

        _busyTurns = 0;
        _lastPoll = _turnTime;
        _poller.Poll(timeout);
        if (_sleeping != 0)
        {
            Volatile.Write(ref _sleeping, 0);
        }

        // The poll consumed any wake-up it saw; a wake written after that ends the next poll at once, harmlessly.
        if (Volatile.Read(ref _wakePending) != 0)
        {
            Volatile.Write(ref _wakePending, 0);
        }
    }

    private void Invoke(in LoopWork work)
    {
        Volatile.Write(ref _runningCallback, work.Callback);
        Volatile.Write(ref _runningState, work.State);
        Volatile.Write(ref _callbackSequence, _callbackSequence + 1);
        try
        {
            work.Invoke();
        }
        catch (Exception e)
        {
            OnCallbackFailed(e);
        }
        finally
        {
            Volatile.Write(ref _callbackSequence, _callbackSequence + 1);
        }

        if (SynchronizationContext.Current != _context)
        {
            // A callback changed the context (SetSynchronizationContext): the loop's own comes back for the next one.
            SynchronizationContext.SetSynchronizationContext(_context);
        }
    }

    internal void ReportCallbackFailure(Exception e) => OnCallbackFailed(e);

    private void OnCallbackFailed(Exception e)
    {
        LoopLog.CallbackFailed(Logger, e);
        try
        {
            CallbackFailed?.Invoke(this, new LoopErrorEventArgs(e));
        }
        catch (Exception inner)
        {
            LoopLog.HandlerFailed(Logger, inner);
        }
    }

    private static readonly long PollEvery = Stopwatch.Frequency / 5000;

    private static long Now() => Stopwatch.GetTimestamp();
}
