using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using Gamut.Redis.Worker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

internal sealed partial class InstanceWorker
{
    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await _stopTaking.CancelAsync().ConfigureAwait(false);
        Signal(_wake);
        Signal(_slotFreed);
        await _pull.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ShutdownTimeout);
        while (Volatile.Read(ref _runningCount) > 0 && !deadline.IsCancellationRequested)
        {
            await _slotFreed.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
        }

        if (_running.Values.Any(j => !j.Finished))
        {
            // Past the deadline: cancel what still runs and give it back to its queue for another worker.
            var left = _running.Values.Where(j => !j.Finished).ToArray();
            _log.LogWarning("Worker {Worker}: {Count} jobs still running at the shutdown deadline; handing them back", Id, left.Length);
            foreach (var job in left)
            {
                job.HandedBack = true;
                await job.Cancel.CancelAsync().ConfigureAwait(false);
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            while (Volatile.Read(ref _runningCount) > 0 && !grace.IsCancellationRequested)
            {
                await _slotFreed.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var job in _running.Values.Where(j => !j.Finished))
            {
                // Ignored its token: hand it back anyway; its own late outcome would be rejected by the fence.
                _ = _sink.Add(Worker.Completion.Create(job, "back"));
            }
        }

        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _sink.DrainAsync(drain.Token).ConfigureAwait(false);
        await _stopAll.CancelAsync().ConfigureAwait(false);
        await _maintenance.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await LeaveAsync().ConfigureAwait(false);
        _connection.Multiplexer.ConnectionRestored -= OnRestored;
        _slots.Unregister(_slotFreed);
        _log.LogInformation("Worker {Worker} stopped on {Instance}", Id, _connection.Name);
    }

    private async Task LeaveAsync()
    {
        try
        {
            var db = _connection.Database;
            foreach (var q in _queues)
            {
                await db.ScriptEvaluateAsync(LuaScripts.Deregister, [q.Heartbeat(Id), q.Workers, q.Active(Id), q.Cancels(Id)], [Id]).ConfigureAwait(false);
            }

            await db.SortedSetRemoveAsync(_connection.Global.Workers, Id).ConfigureAwait(false);
            await db.KeyDeleteAsync(_connection.Global.WorkerInfo(Id)).ConfigureAwait(false);
            if (_control is not null)
            {
                await _control.UnsubscribeAsync().ConfigureAwait(false);
            }

            foreach (var wake in _wakeSubscriptions)
            {
                await wake.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
        {
            // A key of the wrong type was reported when it was found (at start, or by the heartbeat).
            _log.LogDebug(e, "Worker {Worker} could not deregister: a key has the wrong type", Id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _log.LogWarning(e, "Worker {Worker} could not deregister; the reaper will clean up after its heartbeat expires", Id);
        }
    }
}
