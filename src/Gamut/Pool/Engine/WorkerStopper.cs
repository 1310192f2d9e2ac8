using System.Diagnostics;
using Gamut.Ipc.Native;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// Ending workers' lives on purpose: retiring one (no more work; it stops once its in-flight work is answered),
/// stopping one now (SIGTERM or SIGKILL; the <see cref="WorkerWatch"/> sends SIGKILL after the grace period), killing
/// one whose channel closed, and stopping them all at shutdown. Each stop asks the supervisor for a replacement.
/// </summary>
internal sealed class WorkerStopper(PoolGate gate, TimeSpan stopGracePeriod, WorkerSupervisor supervisor)
{
    /// <summary>Stops giving a worker work; it stops once its in-flight work is answered, and a replacement starts now.</summary>
    public void RetireLocked(WorkerHandle w, StopReason reason)
    {
        if (w.State != WorkerState.Ready)
        {
            return;
        }

        w.State = WorkerState.Retiring;
        w.StopReason = reason;
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.EnsureWorkers(), supervisor, preferLocal: false);
    }

    /// <summary>A retiring worker whose last answer came: it is told to stop (a Stop frame; flush it after the lock). True when told.</summary>
    public bool StopIfRetiredLocked(WorkerHandle w)
    {
        if (w.State != WorkerState.Retiring || w.InFlight.Count > 0)
        {
            return false;
        }

        SendStopLocked(w, w.StopReason);
        return true;
    }

    private static void SendStopLocked(WorkerHandle w, StopReason reason)
    {
        w.State = WorkerState.Stopping;
        w.StopReason = reason;
        w.TermSentAt = Stopwatch.GetTimestamp();
        w.Enqueue(0, static (writer, _) =>
        {
            writer.BeginFrame(FrameType.Stop);
            writer.EndFrame();
        });
    }

    /// <summary>Stops a worker now: SIGTERM (or SIGKILL), and SIGKILL after the grace period (the watch sends it). A replacement starts.</summary>
    public void StopWorkerLocked(WorkerHandle w, StopReason reason, bool kill = false, bool signal = true)
    {
        if (w.State is WorkerState.Dead)
        {
            return;
        }

        if (w.State != WorkerState.Stopping)
        {
            w.State = WorkerState.Stopping;
            w.StopReason = reason;
            w.TermSentAt = Stopwatch.GetTimestamp();
        }

        if (signal)
        {
            SignalStopLocked(w, kill);
        }

        ThreadPool.UnsafeQueueUserWorkItem(static s => s.EnsureWorkers(), supervisor, preferLocal: false);
    }

    /// <summary>SIGTERM (SIGKILL when <paramref name="kill"/> or no grace period) to a worker being stopped.</summary>
    public void SignalStopLocked(WorkerHandle w, bool kill)
    {
        if (kill || stopGracePeriod == TimeSpan.Zero)
        {
            w.KillSent = true;
            w.Process?.Signal(LinuxNative.SIGKILL);
        }
        else
        {
            w.Process?.Signal(LinuxNative.SIGTERM);
        }
    }

    /// <summary>The worker's channel has ended: a worker without its channel is of no use; if it does not end by itself at once, it is killed.</summary>
    public void OnChannelClosed(WorkerHandle w)
    {
        _ = Task.Delay(200).ContinueWith(
            static (_, s) =>
            {
                var (stopper, worker) = ((WorkerStopper, WorkerHandle))s!;
                stopper.KillIfRunning(worker);
            },
            (this, w),
            TaskScheduler.Default);
    }

    private void KillIfRunning(WorkerHandle w)
    {
        lock (gate.Lock)
        {
            if (w.State != WorkerState.Dead && w.Process is { Exited.IsCompleted: false })
            {
                StopWorkerLocked(w, w.State == WorkerState.Stopping ? w.StopReason : StopReason.ChannelClosed, kill: true);
            }
        }
    }

    /// <summary>Stops every worker (idle ones by a Stop frame, busy or starting ones by signal) and waits until all have ended.</summary>
    public async Task StopAllAsync()
    {
        List<WorkerHandle> flush = [];
        lock (gate.Lock)
        {
            foreach (var w in gate.Workers)
            {
                switch (w.State)
                {
                    case WorkerState.Ready or WorkerState.Retiring when w.InFlight.Count == 0 && w.Channel is not null:
                        SendStopLocked(w, StopReason.Shutdown);
                        flush.Add(w);
                        break;
                    case WorkerState.Starting:
                        StopWorkerLocked(w, StopReason.Shutdown, kill: true);
                        break;
                    case WorkerState.Stopping:
                        break;
                    default:
                        StopWorkerLocked(w, StopReason.Shutdown);
                        break;
                }
            }
        }

        foreach (var w in flush)
        {
            w.Flush();
        }

        // Each worker leaves the list when its end is settled (WorkerSupervisor); the SIGKILL after the grace period
        // (WorkerWatch) makes sure that happens.
        while (true)
        {
            lock (gate.Lock)
            {
                if (gate.Workers.Count == 0)
                {
                    return;
                }
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
