using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Every heartbeat interval: beat; and while the worker still takes jobs, reap dead workers and reconcile our own
/// in-flight lists. A failed pass is logged and forgotten (the reaper starts its two looks afresh).
/// </summary>
internal sealed class MaintenanceLoop(RedisConnection connection, string workerId, Heartbeat heartbeat, Reaper reaper, InFlightReconciler reconciler)
{
    /// <summary>Runs until <paramref name="stop"/>; reaps and reconciles only until <paramref name="stopTaking"/>.</summary>
    public async Task RunAsync(CancellationToken stopTaking, CancellationToken stop)
    {
        var interval = connection.Options.HeartbeatInterval;
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
                await heartbeat.BeatAsync(stop).ConfigureAwait(false);
                if (!stopTaking.IsCancellationRequested)
                {
                    await reaper.ReapAsync(Environment.TickCount64, stop).ConfigureAwait(false);
                    await reconciler.ReconcileAsync(Environment.TickCount64, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RedisKeyTypeException e)
            {
                reaper.Forget();
                connection.Logger.LogWarning("Worker {Worker}: its heartbeat on {Instance} is incomplete: {Reason}", workerId, connection.Name, e.Message);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                reaper.Forget();
                connection.Logger.LogDebug(e, "Worker {Worker}: heartbeat or reaper pass failed", workerId);
            }
        }
    }
}
