using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Lists the queues this client enqueued on in each instance's queue set (what <c>gamut status</c> and the dashboard
/// read), once per instance and queue. The write is not awaited by the enqueue that caused it (it costs the first
/// enqueue of a queue nothing), but it is not fire-and-forget either: <see cref="FlushAsync"/> waits for it before the
/// client closes its connections, or a producer that enqueues and exits at once could leave its queue unlisted (a
/// closing connection drops what it has not written) until some worker's heartbeat lists it.
/// </summary>
internal sealed class KnownQueues
{
    private readonly HashSet<(RedisConnection, string)> _known = [];
    private readonly List<Task> _pending = [];

    /// <summary>Whether <paramref name="queue"/> was registered on <paramref name="where"/> by this client.</summary>
    public bool Contains(RedisConnection where, string queue)
    {
        lock (_known)
        {
            return _known.Contains((where, queue));
        }
    }

    /// <summary>Starts adding the queue to the instance's queue set, unless this client did so before (see <see cref="FlushAsync"/>).</summary>
    public void Register(RedisConnection where, string queue)
    {
        lock (_known)
        {
            if (!_known.Add((where, queue)))
            {
                return;
            }

            _pending.RemoveAll(static t => t.IsCompleted);
            _pending.Add(ListAsync(where, queue));
        }
    }

    /// <summary>Waits (at most <paramref name="limit"/>) for the listings sent so far; a failed one is left to the workers' heartbeats.</summary>
    public async Task FlushAsync(TimeSpan limit)
    {
        Task[] pending;
        lock (_known)
        {
            pending = [.. _pending];
            _pending.Clear();
        }

        if (pending.Length > 0)
        {
            await Task.WhenAll(pending).WaitAsync(limit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ListAsync(RedisConnection where, string queue)
    {
        try
        {
            await where.Database.SetAddAsync(where.Global.Queues, queue).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Not listed this time: forget it so the next enqueue on the queue tries again.
            lock (_known)
            {
                _known.Remove((where, queue));
            }
        }
    }
}
