using Gamut.Coordination;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;

namespace Gamut.Redis.Coordination;

/// <summary>
/// Gamut's coordination primitives across machines, on Redis: a lock with a fencing token (<see cref="RedisLock"/>),
/// an event (<see cref="RedisEvent"/>) and a bounded queue (<see cref="RedisQueue{T}"/>) — the same
/// <see cref="IAsyncLock"/>, <see cref="IAsyncEvent"/> and <see cref="IAsyncQueue{T}"/> as in-process and across processes.
/// <code>
/// await using var redis = await RedisCoordination.ConnectAsync(RedisOptions.FromUrl(url));
/// await using (var lease = await redis.Lock("nightly-report").TryAcquireAsync(TimeSpan.FromSeconds(10)))
/// {
///     if (lease is not null) await store.WriteAsync(report, fencingToken: lease.FencingToken);
/// }
/// </code>
/// </summary>
public sealed class RedisCoordination : IAsyncDisposable
{
    private readonly RedisConnection _connection;

    private RedisCoordination(RedisConnection connection) => _connection = connection;

    /// <summary>Connects (with the start-up checks of <see cref="RedisOptions"/>): one instance, a Sentinel service or a Cluster.</summary>
    /// <param name="options">Where Redis is and the key prefix.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="NotSupportedException">The instances form a ring: a lock or a queue must live in one place, and a ring member may fail over.</exception>
    public static async Task<RedisCoordination> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default)
    {
        var deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        if (deployment is not SingleDeployment single)
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw new NotSupportedException("Locks, events and queues need one Redis (an instance, a Sentinel service or a Cluster), not a ring: a lock that moved to another member when its own stopped answering would have two holders");
        }

        return new(single.Connection);
    }

    /// <summary>A lock shared by everyone who uses the same name and key prefix.</summary>
    /// <param name="name">The lock's name (like a queue name).</param>
    /// <param name="lease">How long a holder that stops renewing (it died, or lost Redis) keeps the lock; renewed every third of it while held. 10 s by default.</param>
    public RedisLock Lock(string name, TimeSpan? lease = null)
    {
        KeyNames.ValidateQueue(name);
        var value = lease ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(100), nameof(lease));
        return new RedisLock(_connection, name, value);
    }

    /// <summary>A manual-reset event shared by name.</summary>
    /// <param name="name">The event's name (like a queue name).</param>
    public RedisEvent Event(string name)
    {
        KeyNames.ValidateQueue(name);
        return new RedisEvent(_connection, name);
    }

    /// <summary>A bounded queue shared by name.</summary>
    /// <typeparam name="T">The item type (serialized with <paramref name="serializer"/>, JSON by default).</typeparam>
    /// <param name="name">The queue's name (like a queue name).</param>
    /// <param name="capacity">The most items it holds.</param>
    /// <param name="serializer">How items become bytes.</param>
    public RedisQueue<T> Queue<T>(string name, long capacity = long.MaxValue, IJobSerializer? serializer = null)
    {
        KeyNames.ValidateQueue(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1, nameof(capacity));
        return new RedisQueue<T>(_connection, name, capacity, serializer ?? JsonJobSerializer.Default);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
