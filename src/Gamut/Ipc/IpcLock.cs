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
        _mutex = new SharedMutex(region.Body);
    }

    /// <summary>The lock's name.</summary>
    public string Name => _region.Name;

    /// <summary>The pid of the process holding it now, or 0 when it is free.</summary>
    public int HolderPid => _mutex.HolderPid;

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

        var token = await _mutex.EnterAsync(timeout, cancellationToken).ConfigureAwait(false);
        return token == 0 ? null : new Lease(_mutex, token);
    }

    /// <summary>Unmaps the lock (a lease still held stays held until disposed or this process ends).</summary>
    public void Dispose() => _region.Dispose();

    private sealed class Lease(SharedMutex mutex, long token) : ILockLease
    {
        private int _released;

        public long FencingToken => token;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                mutex.Exit();
            }

            return ValueTask.CompletedTask;
        }
    }
}
