using Gamut.Coordination;
using Gamut.Ipc.Native;

namespace Gamut.Ipc;

/// <summary>
/// A lock shared by processes on one machine, by name. Released when its holder dies: a waiter that finds the
/// holder gone (killed, crashed, exited without releasing) takes it over within about 50 ms. Each acquisition gets
/// a growing fencing token. Ownership belongs to the process: two tasks of one process exclude each other too, and
/// a lease may be released from any thread.
/// </summary>
public sealed class IpcLock : IAsyncLock, IDisposable
{
    private readonly IpcRegion _region;
    private readonly SharedMutex _mutex;

    private unsafe IpcLock(IpcRegion region)
    {
        _region = region;
        _mutex = new SharedMutex(region, region.Body);
    }

    /// <summary>The lock's name.</summary>
    public string Name => _region.Name;

    /// <summary>The pid of the process holding it now, or 0 when it is free.</summary>
    /// <exception cref="ObjectDisposedException">The lock was disposed.</exception>
    public int HolderPid
    {
        get
        {
            using var use = _region.Use();
            return _mutex.HolderPid;
        }
    }

    /// <summary>Creates a lock.</summary>
    /// <param name="name">Its name: letters, digits, '.', '_' and '-', at most 200 characters.</param>
    /// <exception cref="IpcObjectExistsException">The name is taken.</exception>
    public static IpcLock Create(string name) => new(IpcRegion.Create(name, IpcKind.Lock, 0, 0, SharedMutex.Size));

    /// <summary>Opens an existing lock.</summary>
    /// <param name="name">Its name.</param>
    /// <exception cref="IpcObjectNotFoundException">No lock has this name.</exception>
    /// <exception cref="IpcLayoutMismatchException">The name belongs to another kind of object.</exception>
    public static IpcLock Open(string name) => new(IpcRegion.Open(name, IpcKind.Lock, 0));

    /// <summary>Opens the lock, creating it if it does not exist.</summary>
    /// <param name="name">Its name.</param>
    public static IpcLock OpenOrCreate(string name)
    {
        try
        {
            return Open(name);
        }
        catch (IpcObjectNotFoundException)
        {
            try
            {
                return Create(name);
            }
            catch (IpcObjectExistsException)
            {
                return Open(name);
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ILockLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A timeout cannot be negative.");
        }

        using var use = _region.Use();
        var token = await _mutex.EnterAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (token == 0)
        {
            return null;
        }

        // The lease keeps the mapping alive: releasing it after the lock was disposed still releases the lock.
        _region.AddReference();
        return new Lease(_region, _mutex, token);
    }

    /// <summary>
    /// Unmaps the lock once nothing uses it: a pending acquisition fails with <see cref="ObjectDisposedException"/>;
    /// a lease still held stays held (and mapped) until it is disposed or this process ends.
    /// </summary>
    public void Dispose() => _region.Dispose();

    private sealed class Lease(IpcRegion region, SharedMutex mutex, long token) : ILockLease
    {
        private int _released;

        public long FencingToken => token;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                mutex.Exit();
                region.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
