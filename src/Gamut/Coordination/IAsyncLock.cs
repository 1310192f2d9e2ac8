namespace Gamut.Coordination;

/// <summary>
/// A mutual-exclusion lock with a timeout. Implemented in-process (<see cref="AsyncLock"/>), across processes
/// (Gamut.Ipc: released when its holder dies) and across machines (Gamut.Redis: a lease with a fencing token).
/// </summary>
public interface IAsyncLock
{
    /// <summary>Acquires the lock, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock (dispose it to release), or null when the timeout passed.</returns>
    ValueTask<ILockLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>A held lock. Disposing it releases the lock.</summary>
public interface ILockLease : IAsyncDisposable
{
    /// <summary>
    /// A number that grows with every acquisition of this lock. Pass it to the resource the lock protects so it
    /// can refuse writes from a holder whose lease has since passed to someone else (a fencing token).
    /// </summary>
    long FencingToken { get; }
}
