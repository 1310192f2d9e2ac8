using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Ring;

/// <summary>What one instance holds: jobs ready, delayed and running, per queue.</summary>
internal static class RingCensus
{
    /// <summary>Counts the jobs of every queue the instance knows (its <c>P:queues</c> set).</summary>
    public static async Task<IReadOnlyList<(string Queue, long Ready, long Delayed, long Running)>> CountAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        var db = c.Database;
        var names = await db.SetMembersAsync(c.Global.Queues).WaitAsync(cancellationToken).ConfigureAwait(false);
        var counts = new List<(string, long, long, long)>();
        foreach (var name in names.Select(n => (string)n!).Where(Keys.KeyNames.IsValidQueue).Order(StringComparer.Ordinal))
        {
            var q = c.Queue(name);
            var ready = db.ListLengthAsync(q.Ready);
            var delayed = db.SortedSetLengthAsync(q.Delayed);
            var workers = await db.SetMembersAsync(q.Workers).WaitAsync(cancellationToken).ConfigureAwait(false);
            var running = await Task.WhenAll(workers.Select(w => db.ListLengthAsync(q.Active((string)w!)))).WaitAsync(cancellationToken).ConfigureAwait(false);
            counts.Add((name, await ready.ConfigureAwait(false), await delayed.ConfigureAwait(false), running.Sum()));
        }

        return counts;
    }

    /// <summary>Whether the instance holds no job that still has to run.</summary>
    public static async Task<bool> IsEmptyAsync(RedisConnection c, CancellationToken cancellationToken) =>
        (await CountAsync(c, cancellationToken).ConfigureAwait(false)).All(q => q.Ready == 0 && q.Delayed == 0 && q.Running == 0);
}
