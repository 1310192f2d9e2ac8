using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Returns the jobs of dead workers to their queues. A worker is reaped only when it is still silent (no heartbeat)
/// at a later pass at least two beat intervals on, both passes made while Redis answered: after Redis itself froze
/// (every TTL expires at once when it resumes) the live workers beat again before the second pass, so they are not
/// reaped. Now and then, an in-flight list whose worker never registered is registered, so it can be reaped.
/// </summary>
internal sealed class Reaper(RedisConnection connection, string workerId, QueueKeys[] queues, BrokenQueues broken, WorkerTally tally)
{
    // Workers seen without a heartbeat, and when (Environment.TickCount64).
    private readonly Dictionary<(string Queue, string Worker), long> _suspects = [];
    private int _passes;

    /// <summary>Workers seen silent once, waiting for a second look.</summary>
    public int Suspects => _suspects.Count;

    /// <summary>Forgets the silent workers seen: a pass failed, so the next one starts afresh.</summary>
    public void Forget() => _suspects.Clear();

    /// <summary>One pass over every queue, at <paramref name="now"/> (ms, Environment.TickCount64's clock).</summary>
    public async Task ReapAsync(long now, CancellationToken cancellationToken)
    {
        var minGap = (long)(connection.Options.HeartbeatInterval.TotalMilliseconds * 2);
        var pass = ++_passes;
        foreach (var q in queues)
        {
            try
            {
                await ReapQueueAsync(q, pass, now, minGap, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
            {
                // Nothing was changed on this queue (the scripts check first); the others are reaped.
                broken.Broken(q.Queue, wrongType);
            }
        }
    }

    private async Task ReapQueueAsync(QueueKeys q, int pass, long now, long minGap, CancellationToken cancellationToken)
    {
        var db = connection.Database;
        var o = connection.Options;
        if (pass % 30 == 1)
        {
            await AdoptOrphanListsAsync(q, cancellationToken).ConfigureAwait(false);
        }

        var silent = (RedisValue[])(await db.ScriptEvaluateAsync(LuaScripts.Scan, [q.Workers], [q.HeartbeatPrefix]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var silentNow = new HashSet<string>(silent.Select(s => (string)s!), StringComparer.Ordinal);
        foreach (var key in _suspects.Keys.Where(k => k.Queue == q.Queue && !silentNow.Contains(k.Worker)).ToList())
        {
            _suspects.Remove(key);
        }

        foreach (var worker in silentNow)
        {
            if (worker == workerId)
            {
                continue;
            }

            if (!_suspects.TryGetValue((q.Queue, worker), out var since))
            {
                _suspects[(q.Queue, worker)] = now;
                continue;
            }

            if (now - since < minGap)
            {
                continue;
            }

            var r = (RedisResult[])(await db.ScriptEvaluateAsync(
                LuaScripts.Reap,
                [q.Active(worker), q.Ready, q.Heartbeat(worker), q.Stats, q.Dead, q.Workers, q.Cancels(worker), q.RawCounts],
                [q.JobPrefix, worker, o.MaxLostDeliveries, (long)o.FailedTtl.TotalMilliseconds, o.DeadLetterMax, q.Queue, q.WakeChannel.ToString(), (long)o.ResultTtl.TotalMilliseconds])
                .WaitAsync(cancellationToken).ConfigureAwait(false))!;
            _suspects.Remove((q.Queue, worker));
            var requeued = (long)r[0];
            if (requeued >= 0)
            {
                tally.Reaped(requeued);
                await db.SortedSetRemoveAsync(connection.Global.Workers, worker).ConfigureAwait(false);
                connection.Logger.LogWarning("Worker {Worker}: worker {Dead} on queue {Queue} is gone; {Requeued} jobs returned to the queue, {DeadLettered} dead-lettered", workerId, worker, q.Queue, requeued, (long)r[1]);
            }
        }
    }

    /// <summary>An in-flight list whose worker never registered (or whose registration was lost): register it, so the reaper sees it.</summary>
    private async Task AdoptOrphanListsAsync(QueueKeys q, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var key in KeyScan.ScanAsync(connection, q.ActivePrefix + "*", 100, cancellationToken).ConfigureAwait(false))
            {
                await connection.Database.SetAddAsync(q.Workers, key[q.ActivePrefix.Length..]).ConfigureAwait(false);
            }
        }
        catch (RedisServerException e)
        {
            connection.Logger.LogDebug(e, "SCAN for orphan in-flight lists is not available here");
        }
    }
}
