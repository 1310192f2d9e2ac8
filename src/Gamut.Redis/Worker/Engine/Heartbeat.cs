using System.Text.Json;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Proves to one instance that the worker is alive: a heartbeat key per queue (what keeps its jobs from being
/// reaped), its entry in the workers list and its info (what <c>gamut status</c> shows), its queues listed again. A
/// beat also collects the cancel requests whose control message was lost, and hands them to <c>cancel</c>.
/// </summary>
internal sealed class Heartbeat(RedisConnection connection, RedisWorkerOptions options, string workerId, QueueKeys[] queues, HeldJobs held, BrokenQueues broken, Action<string, string> cancel)
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    /// <summary>When this worker last proved to this instance that it is alive (its heartbeat keys were set).</summary>
    public DateTimeOffset Last { get; private set; }

    /// <exception cref="RedisKeyTypeException">A key of the worker's info has the wrong type (named); the beats went through.</exception>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        var beganAt = DateTimeOffset.UtcNow;
        await connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.Database;
        var o = connection.Options;
        var info = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["queues"] = string.Join(",", options.Queues),
            ["concurrency"] = options.Concurrency,
            ["running"] = held.Running,
            ["started"] = _startedAt.ToUnixTimeMilliseconds(),
            ["isolation"] = options.Isolation.ToString().ToLowerInvariant(),
        });
        var ttl = (long)o.HeartbeatTtl.TotalMilliseconds;
        var beats = queues.Select(q => db.ScriptEvaluateAsync(
            LuaScripts.Heartbeat, [q.Heartbeat(workerId), q.Workers, q.Cancels(workerId)], [workerId, ttl, info])).ToArray();
        var global = db.HashSetAsync(connection.Global.WorkerInfo(workerId), [new HashEntry("info", info)]);
        var expire = db.KeyExpireAsync(connection.Global.WorkerInfo(workerId), o.HeartbeatTtl);
        var seen = db.SortedSetAddAsync(connection.Global.Workers, workerId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Again at every beat: a Redis that lost its data (restarted without persistence, flushed) lists the queues again.
        var listed = db.SetAddAsync(connection.Global.Queues, [.. options.Queues.Select(q => (RedisValue)q)]);
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
                broken.Broken(queues[i].Queue, wrongType);
                continue;
            }

            // Cancel requests that arrived while the control message was lost (or before we subscribed).
            foreach (var id in cancels)
            {
                cancel(queues[i].Queue, (string)id!);
            }
        }

        // The heartbeat keys are set (as of when they were sent): what keeps this worker from being reaped.
        Last = beganAt;
        try
        {
            await Task.WhenAll(global, expire, seen, listed).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            // What gamut status shows about workers may grow memory, so a full Redis refuses it; the beats above
            // went through (their scripts are written to), and they are what keeps this worker from being reaped.
        }
        catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
        {
            // Redis's own WRONGTYPE does not say which key: find it, so the error names it.
            var g = connection.Global;
            throw await KeyTypes.FindAsync(db, [(g.WorkerInfo(workerId), "hash"), (g.Workers, "zset"), (g.Queues, "set")], e, cancellationToken).ConfigureAwait(false) ?? (Exception)e;
        }
    }
}
