using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// A worker's presence on one instance: at the start, the keys every worker writes checked for their type, the
/// control channel (cancel requests) and each queue's wake channel subscribed; at the end, its heartbeats, lists
/// and info removed and the channels left.
/// </summary>
internal sealed class WorkerRegistration(RedisConnection connection, string workerId, QueueKeys[] queues)
{
    private readonly List<ChannelMessageQueue> _subscriptions = [];

    /// <exception cref="RedisKeyTypeException">A key every worker writes has the wrong type: nothing was written.</exception>
    public async Task JoinAsync(Action<string?> onControl, Action onWake, CancellationToken cancellationToken)
    {
        // The keys every worker writes at once (gamut status lists workers and queues from them): one of the wrong
        // type is refused here, naming it, before this worker writes anything.
        var g = connection.Global;
        if (await KeyTypes.FindAsync(connection.Database, [(g.Workers, "zset"), (g.Queues, "set")], null, cancellationToken).ConfigureAwait(false) is { } wrongType)
        {
            throw wrongType;
        }

        var sub = connection.Subscriber;
        var control = await sub.SubscribeAsync(g.Control(workerId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        control.OnMessage(m => onControl((string?)m.Message));
        _subscriptions.Add(control);
        foreach (var q in queues)
        {
            var wake = await sub.SubscribeAsync(q.WakeChannel).WaitAsync(cancellationToken).ConfigureAwait(false);
            wake.OnMessage(_ => onWake());
            _subscriptions.Add(wake);
        }
    }

    /// <summary>Deregisters (a failure is logged: the reaper cleans up after the heartbeat expires) and leaves the channels.</summary>
    public async Task LeaveAsync()
    {
        try
        {
            var db = connection.Database;
            foreach (var q in queues)
            {
                await db.ScriptEvaluateAsync(LuaScripts.Deregister, [q.Heartbeat(workerId), q.Workers, q.Active(workerId), q.Cancels(workerId)], [workerId]).ConfigureAwait(false);
            }

            await db.SortedSetRemoveAsync(connection.Global.Workers, workerId).ConfigureAwait(false);
            await db.KeyDeleteAsync(connection.Global.WorkerInfo(workerId)).ConfigureAwait(false);
            foreach (var subscription in _subscriptions)
            {
                await subscription.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
        {
            // A key of the wrong type was reported when it was found (at start, or by the heartbeat).
            connection.Logger.LogDebug(e, "Worker {Worker} could not deregister: a key has the wrong type", workerId);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            connection.Logger.LogWarning(e, "Worker {Worker} could not deregister; the reaper will clean up after its heartbeat expires", workerId);
        }
    }
}
