using System.Diagnostics;
using Gamut.Ipc.Native;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's clock (every 25 ms): a worker that does not get ready within the start timeout is killed; a job that
/// runs past its timeout is reported (its worker is stopped, and signalled once the timeout is settled); a cancelled
/// job that does not stop within the grace period costs its worker; a worker that does not stop within the grace
/// period gets SIGKILL; and a worker is started when the restart limit may probe or the first one is slow to connect.
/// </summary>
internal sealed class WorkerWatch : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan FirstWorkerAlone = TimeSpan.FromMilliseconds(250);
    private readonly PoolGate _gate;
    private readonly WorkerSupervisor _supervisor;
    private readonly ProcessPoolOptions _options;
    private readonly IWorkerEvents _events;
    private readonly ILogger _logger;
    private readonly Timer _timer;

    public WorkerWatch(PoolGate gate, WorkerSupervisor supervisor, ProcessPoolOptions options, IWorkerEvents events, ILogger logger)
    {
        _gate = gate;
        _supervisor = supervisor;
        _options = options;
        _events = events;
        _logger = logger;
        _timer = new Timer(static s => ((WorkerWatch)s!).Tick(), this, Period, Period);
    }

    /// <summary>Stops the clock.</summary>
    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    /// <summary>One round of checks (the timer calls it; a test may too).</summary>
    internal void Tick()
    {
        List<(PoolJob Job, WorkerHandle Worker, SlotSnapshot Slot)>? timedOut = null;
        bool probe;
        var stopper = _supervisor.Stopper;
        lock (_gate.Lock)
        {
            foreach (var w in _gate.Workers.ToArray())
            {
                switch (w.State)
                {
                    case WorkerState.Starting when Stopwatch.GetElapsedTime(w.StartedAt) > _options.StartTimeout:
                        _logger.LogWarning("{Worker} did not get ready within {Seconds} s: killing it", w, _options.StartTimeout.TotalSeconds);
                        stopper.StopWorkerLocked(w, StopReason.StartTimeout, kill: true);
                        break;
                    case WorkerState.Ready or WorkerState.Retiring when w.InFlight.Count > 0:
                        var slot = w.Slot.Read();
                        if (!slot.Running)
                        {
                            break;
                        }

                        var job = FindInFlight(w, slot.Seq);
                        if (job?.Options.Timeout is { } timeout && slot.RunningFor > timeout)
                        {
                            (timedOut ??= []).Add((job, w, slot));
                            _logger.LogWarning("{Worker}: job '{Job}' ({Id}) ran past its {Timeout} s timeout: SIGTERM, then SIGKILL after {Grace} s", w, job.Name, job.Id, timeout.TotalSeconds, _options.StopGracePeriod.TotalSeconds);
                            // Signalled only once the timeout is settled (below): the job's answer to SIGTERM (cancelled)
                            // must find it already failed or retried.
                            stopper.StopWorkerLocked(w, StopReason.Timeout, signal: false);
                        }
                        else if (job is { CancelRequestedAt: not 0 } && Stopwatch.GetElapsedTime(job.CancelRequestedAt) > _options.StopGracePeriod)
                        {
                            _logger.LogWarning("{Worker}: cancelled job '{Job}' ({Id}) did not stop within {Grace} s: stopping its worker", w, job.Name, job.Id, _options.StopGracePeriod.TotalSeconds);
                            stopper.StopWorkerLocked(w, StopReason.Cancel);
                        }

                        break;
                    case WorkerState.Stopping when !w.KillSent && Stopwatch.GetElapsedTime(w.TermSentAt) > _options.StopGracePeriod:
                        _logger.LogWarning("{Worker} did not stop within {Grace} s: SIGKILL", w, _options.StopGracePeriod.TotalSeconds);
                        w.KillSent = true;
                        w.Process?.Signal(LinuxNative.SIGKILL);
                        break;
                }
            }

            probe = _supervisor.ProbeDueLocked(FirstWorkerAlone);
        }

        foreach (var (job, w, slot) in timedOut ?? [])
        {
            _events.TimedOut(job, w, slot);
            lock (_gate.Lock)
            {
                if (w.State == WorkerState.Stopping)
                {
                    stopper.SignalStopLocked(w, kill: false);
                }
            }
        }

        if (probe)
        {
            _supervisor.EnsureWorkers();
        }
    }

    private static PoolJob? FindInFlight(WorkerHandle w, long seq)
    {
        foreach (var job in w.InFlight)
        {
            if (job.Seq == seq)
            {
                return job;
            }
        }

        return null;
    }
}
