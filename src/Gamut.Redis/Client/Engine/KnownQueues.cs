using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Lists the queues this client enqueued on in each instance's queue set (what <c>gamut status</c> reads), once per
/// instance and queue: the set is written fire-and-forget, and workers list their queues again at every beat.
/// </summary>
internal sealed class KnownQueues
{
    private readonly HashSet<(RedisConnection, string)> _known = [];

    /// <summary>Whether <paramref name="queue"/> was registered on <paramref name="where"/> by this client.</summary>
    public bool Contains(RedisConnection where, string queue)
    {
        lock (_known)
        {
            return _known.Contains((where, queue));
        }
    }

    /// <summary>Adds the queue to the instance's queue set, unless this client did so before.</summary>
    public async Task RegisterAsync(RedisConnection where, string queue)
    {
        lock (_known)
        {
            if (!_known.Add((where, queue)))
            {
                return;
            }
        }

        await where.Database.SetAddAsync(where.Global.Queues, queue, CommandFlags.FireAndForget).ConfigureAwait(false);
    }
}
