namespace Gamut.Coordination;

/// <summary>Conveniences over the coordination interfaces.</summary>
public static class CoordinationExtensions
{
    /// <summary>Acquires the lock, waiting as long as it takes.</summary>
    /// <param name="gate">The lock.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    public static async ValueTask<ILockLease> AcquireAsync(this IAsyncLock gate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var lease = await gate.TryAcquireAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return lease ?? throw new InvalidOperationException("An infinite wait for a lock returned without the lock");
    }

    /// <summary>Acquires the lock, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="gate">The lock.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="TimeoutException">The lock was not acquired in time.</exception>
    public static async ValueTask<ILockLease> AcquireAsync(this IAsyncLock gate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var lease = await gate.TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
        return lease ?? throw new TimeoutException($"The lock was not acquired within {timeout.TotalSeconds:0.###} s");
    }
}
