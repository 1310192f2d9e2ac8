using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// What becomes of work a worker can no longer answer. A worker that ended: what its slot says decides each unit
/// (<see cref="CrashSettlement"/>) — the one running fails with <see cref="WorkerCrashedException"/> or retries, the
/// ones it never started go back to the queue untouched, each chunk item likewise. A job that ran past its timeout:
/// it fails with <see cref="JobTimeoutException"/> or retries, before its worker is signalled. Work no worker can
/// serve while workers keep dying at start: it fails with the crash loop's error.
/// </summary>
internal sealed class LostWorkSettler(PoolGate gate, WorkLedger ledger, PoolDispatcher dispatcher, ResultIntake intake, TimeSpan stopGracePeriod)
{
    /// <summary>Settles the units a dead worker had in flight (already taken off it), from its slot as it was when it ended.</summary>
    public void Settle(WorkerHandle w, WorkerExit exit, SlotSnapshot slot, List<PoolJob> orphans)
    {
        var notStarted = new List<PoolJob>();
        var tail = w.StderrTail();
        Exception Crashed(string name, string id, int attempts, bool running) => w.StopReason switch
        {
            StopReason.Shutdown => new OperationCanceledException("The process pool was shut down"),
            _ => new WorkerCrashedException(name, id, w.Id, w.Pid, exit, tail, running, attempts),
        };

        foreach (var job in orphans)
        {
            if (CrashSettlement.Of(job, slot) == CrashFate.NeverStarted)
            {
                if (job.IsFinished)
                {
                    ledger.Leave(job);
                }
                else
                {
                    notStarted.Add(job);
                }

                continue;
            }

            if (job is ChunkJob chunk)
            {
                SettleChunk(chunk, slot, Crashed);
                continue;
            }

            if (job.Attempt < job.Options.Retry.MaxAttempts && !gate.Immediate && !job.IsFinished && w.StopReason != StopReason.Shutdown)
            {
                dispatcher.ScheduleRetry(job, "failed");
            }
            else
            {
                ledger.Fail(job, Crashed(job.Name, job.Id, job.Attempt, CrashSettlement.Of(job, slot) == CrashFate.Running));
            }
        }

        if (notStarted.Count > 0)
        {
            dispatcher.Requeue(notStarted);
        }
    }

    private void SettleChunk(ChunkJob chunk, SlotSnapshot slot, Func<string, string, int, bool, Exception> crashed)
    {
        for (var k = 0; k < chunk.Count; k++)
        {
            var index = chunk.Start + k;
            if (chunk.Chunk.IsResolved(index) || index == chunk.TimedOutItem)
            {
                // Resolved, or its timeout already failed or retried it.
                continue;
            }

            var fate = CrashSettlement.OfItem(chunk, k, slot);
            if (fate == CrashFate.NeverStarted)
            {
                intake.RetryItem(chunk, index, chunk.Attempt);
            }
            else if (chunk.Attempt < chunk.Options.Retry.MaxAttempts && !gate.Immediate && !chunk.IsFinished)
            {
                PoolMetrics.Failed(chunk, 1, "failed", PoolMetrics.Share(chunk, 1));
                intake.RetryItem(chunk, index, chunk.Attempt + 1);
            }
            else
            {
                var error = crashed(chunk.Name, chunk.Chunk.ItemId(index), chunk.Attempt, fate == CrashFate.Running);
                PoolMetrics.Failed(chunk, 1, error);
                chunk.Chunk.SetItemError(index, error);
            }
        }

        UnitOutcome.Finish(chunk);
        ledger.Leave(chunk);
    }

    /// <summary>
    /// The running job timed out and its worker is being stopped: fail (or retry) the job now; the rest of the
    /// worker's work is settled when it has ended.
    /// </summary>
    public void OnTimeout(PoolJob job, WorkerHandle w, SlotSnapshot slot)
    {
        var timeout = job.Options.Timeout!.Value;
        var detail = $"worker {w.Id} (pid {w.Pid}) got SIGTERM, and SIGKILL if it does not stop within {stopGracePeriod.TotalSeconds:0.###} s";
        if (job is ChunkJob chunk)
        {
            if (slot.Index < 0)
            {
                // Still reading the chunk's inputs: no item ran. Its worker is being stopped; when it has ended, the
                // items go back one by one (see Settle).
                return;
            }

            var index = chunk.Start + slot.Index;
            chunk.TimedOutItem = index;
            PoolMetrics.Failed(chunk, 1, "timeout", PoolMetrics.Share(chunk, 1));
            if (chunk.Options.Retry.RetryOnTimeout && chunk.Attempt < chunk.Options.Retry.MaxAttempts)
            {
                intake.RetryItem(chunk, index, chunk.Attempt + 1);
            }
            else
            {
                chunk.Chunk.SetItemError(index, new JobTimeoutException(chunk.Name, chunk.Chunk.ItemId(index), timeout, detail));
            }

            return;
        }

        // Taken off the worker now, so the worker's end does not count it again.
        if (!dispatcher.TakeOff(job, w))
        {
            return;
        }

        if (job.Options.Retry.RetryOnTimeout && job.Attempt < job.Options.Retry.MaxAttempts && !job.IsFinished)
        {
            dispatcher.ScheduleRetry(job, "timeout");
        }
        else
        {
            ledger.Fail(job, new JobTimeoutException(job.Name, job.Id, timeout, detail));
        }
    }

    /// <summary>Workers keep dying and none is ready: fail the queued work instead of letting it wait forever.</summary>
    public void FailUnservable(WorkerCrashLoopException error)
    {
        foreach (var job in dispatcher.TakeUnservable() ?? [])
        {
            ledger.Fail(job, error);
        }
    }
}
