using System.Threading.Tasks.Sources;

namespace Gamut.Processes.Linux;

/// <summary>
/// One direction (readable or writable) of a descriptor registered edge-triggered with the reactor: a counter
/// of readiness events and at most one waiter, completed without allocation (a reusable value-task source).
/// </summary>
/// <remarks>
/// The lost-wake-up race of edge-triggered polling is closed by the counter, as in .NET's socket engine: an
/// operation reads <see cref="Sequence"/> before its non-blocking system call, and <see cref="WaitAsync"/>
/// returns at once when an event arrived since. Continuations run on the thread pool, except where
/// <see cref="Inline"/> says the waiter is Gamut's own code that never blocks.
/// </remarks>
internal sealed class ReadinessWaiter : IValueTaskSource
{
    private const int Idle = 0, Waiting = 1, Done = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _sequence;
    private int _state;
    private bool _closed;
    private CancellationTokenRegistration _cancellation;

    /// <summary>
    /// Whether a waiter's continuation runs on the reactor thread itself (only for Gamut's own short, non-blocking
    /// continuations: reaping a child, capturing its output) instead of being queued to the thread pool.
    /// </summary>
    public bool Inline { get; set; }

    /// <summary>How many readiness events have arrived.</summary>
    public int Sequence => Volatile.Read(ref _sequence);

    /// <summary>Whether the descriptor was closed: waiters are released and must not touch it again.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Records a readiness event and releases the waiter, if any. Called by the reactor thread.</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _sequence);
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) == Waiting)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>Releases the waiter for good: the descriptor is closing.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, true);
        Signal();
    }

    /// <summary>Waits until an event arrives after the one counted in <paramref name="observedSequence"/>.</summary>
    /// <remarks>At most one wait may be outstanding per direction.</remarks>
    public ValueTask WaitAsync(int observedSequence, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _sequence) != observedSequence || IsClosed)
        {
            return ValueTask.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        _core.Reset();
        _core.RunContinuationsAsynchronously = !Inline;
        // A full fence, not a volatile write: this store and the load of the sequence below are a Dekker pair
        // with Signal's increment and compare-exchange. A plain store may still sit in the store buffer when the
        // load runs, and then both sides miss each other (Signal sees no waiter, the waiter sees no event) and
        // the wait never ends (seen under load as a child that exited and was never reaped).
        Interlocked.Exchange(ref _state, Waiting);

        // An event may have slipped in between the check above and publishing the waiting state.
        if (Volatile.Read(ref _sequence) != observedSequence &&
            Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
        {
            return ValueTask.CompletedTask;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((ReadinessWaiter)state!).Cancel(token), this);
        }

        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token)
    {
        _cancellation.Unregister();
        _cancellation = default;
        Volatile.Write(ref _state, Idle);
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) == Waiting)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }
}
