namespace Gamut.Coordination;

/// <summary>The in-process <see cref="IAsyncLock"/>: FIFO-fair, async, with a fencing token per acquisition.</summary>
public sealed class AsyncLock : IAsyncLock
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private long _token;

    /// <inheritdoc/>
    public async ValueTask<ILockLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!await _semaphore.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new Lease(this, Interlocked.Increment(ref _token));
    }

    private sealed class Lease(AsyncLock owner, long token) : ILockLease
    {
        private int _released;

        public long FencingToken => token;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner._semaphore.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
