namespace Gamut.Executors;

/// <summary>
/// The shutdown contract every executor keeps, in one place: work is admitted until the executor closes; a drain
/// waits until the admitted work has left; an immediate shutdown (or a drain whose wait is cancelled) cancels it
/// through the executor's own <c>CancelAll</c>. Used by the in-process executors and Gamut.Redis's executor.
/// </summary>
internal sealed class ShutdownGate
{
    private readonly object _gate = new();
    private long _active;
    private volatile bool _closed;
    private TaskCompletionSource? _drained;

    /// <summary>How much admitted work has not left yet.</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>Whether shutdown has begun (no more work is admitted).</summary>
    public bool IsClosed => _closed;

    /// <summary>Admits one piece of work, unless shutdown has begun; each admission is paired with one <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        // Counted first, then checked: a shutdown that closes after this sees the count and waits for the Exit.
        Interlocked.Increment(ref _active);
        if (_closed)
        {
            Exit();
            return false;
        }

        return true;
    }

    /// <summary>One admitted piece of work has left; the last one after a close completes the drain.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _active) == 0 && _closed)
        {
            lock (_gate)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Closes (idempotent), cancels the work through <paramref name="cancelAll"/> when <paramref name="mode"/> is
    /// immediate, and waits until every admitted piece of work has left. When the wait of a drain is cancelled, the
    /// work is cancelled instead, and the cancellation is rethrown.
    /// </summary>
    public async Task ShutdownAsync(ShutdownMode mode, Action cancelAll, CancellationToken cancellationToken)
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
            cancelAll();
        }

        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && mode == ShutdownMode.Drain)
        {
            // Stopped waiting for a drain: stop now instead, as the contract says.
            cancelAll();
            throw;
        }
    }
}
