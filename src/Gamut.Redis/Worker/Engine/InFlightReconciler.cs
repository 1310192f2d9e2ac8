using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Gives back entries of our own in-flight lists that this process does not hold (Redis kept a take whose reply was
/// lost, or lost an outcome we recorded), seen so in two passes at least two beat intervals apart: an entry between
/// take and registration is held from the moment take returns, so a live job is never given back.
/// </summary>
internal sealed class InFlightReconciler(RedisConnection connection, string workerId, QueueKeys[] queues, HeldJobs held)
{
    private readonly Dictionary<(string Queue, string Entry), long> _unknownSince = [];

    /// <summary>Entries seen not held once, waiting for a second look.</summary>
    public int Unknown => _unknownSince.Count;

    /// <summary>One pass over every queue, at <paramref name="now"/> (ms, Environment.TickCount64's clock).</summary>
    public async Task ReconcileAsync(long now, CancellationToken cancellationToken)
    {
        var minGap = (long)(connection.Options.HeartbeatInterval.TotalMilliseconds * 2);
        foreach (var q in queues)
        {
            try
            {
                await ReconcileQueueAsync(q, now, minGap, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
            {
                // Our in-flight list or a key the reclaim writes has the wrong type: leave this queue as it is.
                connection.Logger.LogDebug(e, "Worker {Worker}: reconciling queue {Queue} skipped", workerId, q.Queue);
            }
        }
    }

    private async Task ReconcileQueueAsync(QueueKeys q, long now, long minGap, CancellationToken cancellationToken)
    {
        var db = connection.Database;
        var entries = await db.ListRangeAsync(q.Active(workerId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        var reclaim = new List<RedisValue>();
        foreach (var entry in entries)
        {
            var key = TakenJob.KeyOf((byte[])entry!);
            if (held.IsHeld(q.Queue, key))
            {
                continue;
            }

            unknown.Add(key);
            if (!_unknownSince.TryGetValue((q.Queue, key), out var since))
            {
                _unknownSince[(q.Queue, key)] = now;
            }
            else if (now - since >= minGap)
            {
                reclaim.Add(entry);
            }
        }

        foreach (var stale in _unknownSince.Keys.Where(k => k.Queue == q.Queue && !unknown.Contains(k.Entry)).ToList())
        {
            _unknownSince.Remove(stale);
        }

        if (reclaim.Count > 0)
        {
            var n = (long)await db.ScriptEvaluateAsync(LuaScripts.Reclaim, [q.Active(workerId), q.Ready, q.Stats], [q.JobPrefix, workerId, q.WakeChannel.ToString(), .. reclaim]).ConfigureAwait(false);
            foreach (var entry in reclaim)
            {
                _unknownSince.Remove((q.Queue, TakenJob.KeyOf((byte[])entry!)));
            }

            connection.Logger.LogWarning("Worker {Worker}: {Count} entries of its in-flight list on {Queue} were not held by it (Redis lost recent writes?); returned to the queue", workerId, n, q.Queue);
        }
    }
}
