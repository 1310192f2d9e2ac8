namespace Gamut.Coordination;

/// <summary>The in-process <see cref="IAsyncEvent"/>: a manual-reset event with async waits.</summary>
public sealed class AsyncEvent : IAsyncEvent
{
    private readonly object _gate = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates an event.</summary>
    /// <param name="initiallySet">Whether it starts set.</param>
    public AsyncEvent(bool initiallySet = false)
    {
        if (initiallySet)
        {
            _signal.SetResult();
        }
    }

    /// <inheritdoc/>
    public bool IsSet => Volatile.Read(ref _signal).Task.IsCompleted;

    /// <inheritdoc/>
    public void Set()
    {
        lock (_gate)
        {
            _signal.TrySetResult();
        }
    }

    /// <inheritdoc/>
    public void Reset()
    {
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default) =>
        new(Volatile.Read(ref _signal).Task.WaitAsync(cancellationToken));

    /// <inheritdoc/>
    public async ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await Volatile.Read(ref _signal).Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
