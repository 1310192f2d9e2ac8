using Gamut.Redis.Connection;
using System.Text.Json;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

internal sealed partial class InstanceWorker
{
    // Workers seen without a heartbeat, and when: a worker is reaped only when it is still silent at a later pass at
    // least two beat intervals on, both passes made while Redis answered. After Redis itself froze (every TTL expires
    // at once when it resumes) the live workers beat again before the second pass, so they are not reaped.
    private readonly Dictionary<(string Queue, string Worker), long> _suspects = [];
    private int _maintenancePasses;
    private readonly Dictionary<(string Queue, string Entry), long> _unknownSince = [];

    private async Task MaintenanceLoopAsync()
    {
        var stop = _stopAll.Token;
        var interval = _connection.Options.HeartbeatInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await BeatAsync(stop).ConfigureAwait(false);
                if (!_stopTaking.IsCancellationRequested)
                {
                    await ReapAsync(stop).ConfigureAwait(false);
                    await ReconcileAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RedisKeyTypeException e)
            {
                _suspects.Clear();
                _log.LogWarning("Worker {Worker}: its heartbeat on {Instance} is incomplete: {Reason}", Id, _connection.Name, e.Message);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _suspects.Clear();
                _log.LogDebug(e, "Worker {Worker}: heartbeat or reaper pass failed", Id);
            }
        }
    }

    /// <summary>When this worker last proved to this instance that it is alive (its heartbeat key was set).</summary>
    public DateTimeOffset LastHeartbeat { get; private set; }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var beganAt = DateTimeOffset.UtcNow;
        await _connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
        var db = _connection.Database;
        var o = _connection.Options;
        var info = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["queues"] = string.Join(",", _options.Queues),
            ["concurrency"] = _options.Concurrency,
            ["running"] = Volatile.Read(ref _runningCount),
            ["started"] = _startedAt.ToUnixTimeMilliseconds(),
            ["isolation"] = _options.Isolation.ToString().ToLowerInvariant(),
        });
        var ttl = (long)o.HeartbeatTtl.TotalMilliseconds;
        var beats = _queues.Select(q => db.ScriptEvaluateAsync(
            LuaScripts.Heartbeat, [q.Heartbeat(Id), q.Workers, q.Cancels(Id)], [Id, ttl, info])).ToArray();
        var global = db.HashSetAsync(_connection.Global.WorkerInfo(Id), [new HashEntry("info", info)]);
        var expire = db.KeyExpireAsync(_connection.Global.WorkerInfo(Id), o.HeartbeatTtl);
        var seen = db.SortedSetAddAsync(_connection.Global.Workers, Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Again at every beat: a Redis that lost its data (restarted without persistence, flushed) lists the queues again.
        var queues = db.SetAddAsync(_connection.Global.Queues, [.. _options.Queues.Select(q => (RedisValue)q)]);
        for (var i = 0; i < beats.Length; i++)
        {
            RedisValue[] cancels;
            try
            {
                cancels = (RedisValue[])(await beats[i].WaitAsync(cancellationToken).ConfigureAwait(false))!;
            }
            catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
            {
                // This queue's workers or cancels set has the wrong type: the others beat; taking skips this one.
                _brokenQueues.Broken(_queues[i].Queue, wrongType);
                continue;
            }

            // Cancel requests that arrived while the control message was lost (or before we subscribed).
            foreach (var id in cancels)
            {
                CancelRunning(_queues[i].Queue, (string)id!);
            }
        }

        // The heartbeat keys are set (as of when they were sent): what keeps this worker from being reaped.
        LastHeartbeat = beganAt;
        try
        {
            await Task.WhenAll(global, expire, seen, queues).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            // What gamut status shows about workers may grow memory, so a full Redis refuses it; the beats above
            // went through (their scripts are written to), and they are what keeps this worker from being reaped.
        }
        catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
        {
            // Redis's own WRONGTYPE does not say which key: find it, so the error names it.
            var g = _connection.Global;
            throw await KeyTypes.FindAsync(db, [(g.WorkerInfo(Id), "hash"), (g.Workers, "zset"), (g.Queues, "set")], e, cancellationToken).ConfigureAwait(false) ?? (Exception)e;
        }
    }

    private async Task ReapAsync(CancellationToken cancellationToken)
    {
        var o = _connection.Options;
        var now = Environment.TickCount64;
        var minGap = (long)(o.HeartbeatInterval.TotalMilliseconds * 2);
        var pass = ++_maintenancePasses;
        foreach (var q in _queues)
        {
            try
            {
                await ReapQueueAsync(q, pass, now, minGap, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
            {
                // Nothing was changed on this queue (the scripts check first); the others are reaped.
                _brokenQueues.Broken(q.Queue, wrongType);
            }
        }
    }

    private async Task ReapQueueAsync(Keys.QueueKeys q, int pass, long now, long minGap, CancellationToken cancellationToken)
    {
        var db = _connection.Database;
        var o = _connection.Options;
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
            if (worker == Id)
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
                Interlocked.Add(ref _reaped, requeued);
                await db.SortedSetRemoveAsync(_connection.Global.Workers, worker).ConfigureAwait(false);
                _log.LogWarning("Worker {Worker}: worker {Dead} on queue {Queue} is gone; {Requeued} jobs returned to the queue, {DeadLettered} dead-lettered", Id, worker, q.Queue, requeued, (long)r[1]);
            }
        }
    }

    /// <summary>
    /// Gives back entries of our own in-flight lists that this process does not hold, seen so in two passes at
    /// least two beat intervals apart (an entry between take and registration is held from the moment take returns).
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var minGap = (long)(_connection.Options.HeartbeatInterval.TotalMilliseconds * 2);
        foreach (var q in _queues)
        {
            try
            {
                await ReconcileQueueAsync(q, now, minGap, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
            {
                // Our in-flight list or a key the reclaim writes has the wrong type: leave this queue as it is.
                _log.LogDebug(e, "Worker {Worker}: reconciling queue {Queue} skipped", Id, q.Queue);
            }
        }
    }

    private async Task ReconcileQueueAsync(Keys.QueueKeys q, long now, long minGap, CancellationToken cancellationToken)
    {
        var db = _connection.Database;
        var entries = await db.ListRangeAsync(q.Active(Id)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        var reclaim = new List<RedisValue>();
        foreach (var entry in entries)
        {
            var key = Worker.TakenJob.KeyOf((byte[])entry!);
            if (_held.ContainsKey((q.Queue, key)))
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
            var n = (long)await db.ScriptEvaluateAsync(LuaScripts.Reclaim, [q.Active(Id), q.Ready, q.Stats], [q.JobPrefix, Id, q.WakeChannel.ToString(), .. reclaim]).ConfigureAwait(false);
            foreach (var entry in reclaim)
            {
                _unknownSince.Remove((q.Queue, Worker.TakenJob.KeyOf((byte[])entry!)));
            }

            _log.LogWarning("Worker {Worker}: {Count} entries of its in-flight list on {Queue} were not held by it (Redis lost recent writes?); returned to the queue", Id, n, q.Queue);
        }
    }

    /// <summary>An in-flight list whose worker never registered (or whose registration was lost): register it, so the reaper sees it.</summary>
    private async Task AdoptOrphanListsAsync(Keys.QueueKeys q, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var key in KeyScan.ScanAsync(_connection, q.ActivePrefix + "*", 100, cancellationToken).ConfigureAwait(false))
            {
                await _connection.Database.SetAddAsync(q.Workers, key[q.ActivePrefix.Length..]).ConfigureAwait(false);
            }
        }
        catch (RedisServerException e)
        {
            _log.LogDebug(e, "SCAN for orphan in-flight lists is not available here");
        }
    }
}
