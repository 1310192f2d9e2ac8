using System.Diagnostics;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Engine;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool;

/// <summary>What the pool does when a worker ends, and the periodic checks (timeouts, hard cancels, kills after grace).</summary>
public sealed partial class ProcessPool
{
    /// <summary>
    /// A worker has ended (or could not start). Its in-flight work is settled from what its slot says: the job that
    /// was running fails with <see cref="WorkerCrashedException"/> or retries; jobs that had finished but whose
    /// results were lost likewise; jobs that never started go back to the queue untouched. A replacement starts.
    /// </summary>
    private void OnWorkerExited(WorkerHandle w, WorkerExit? exit)
    {
        RecoverKeptResults(w);
        List<PoolJob> orphans;
        SlotSnapshot slot;
        bool startFailure;
        WorkerCrashLoopException? tripped = null;
        var newlyTripped = false;
        lock (_gate)
        {
            if (w.State == WorkerState.Dead)
            {
                return;
            }

            startFailure = !w.WasReady && !_closed && w.StopReason is StopReason.None or StopReason.StartTimeout or StopReason.ChannelClosed;
            w.State = WorkerState.Dead;
            _workers.Remove(w);
            orphans = [.. w.InFlight];
            w.InFlight.Clear();
            w.FramesInFlight = 0;
            foreach (var job in orphans)
            {
                job.State = PoolJobState.Answered;
                job.Worker = null;
            }

            slot = w.Slot.Read();
            if (startFailure)
            {
                var reason = w.StartError ?? (w.StopReason == StopReason.StartTimeout
                    ? $"it did not get ready within {_options.StartTimeout.TotalSeconds:0.#} s"
                    : $"it ended before it was ready, with {exit?.Description ?? "no exit status"}");
                newlyTripped = !_startFailures.Tripped;
                if (_startFailures.Record())
                {
                    tripped = _crashLoop = new WorkerCrashLoopException(_startFailures.Count, _options.RestartPeriod, reason, exit, w.StderrTail());
                }
            }
        }

        w.Channel?.Dispose();
        w.Close();
        w.Slot.Dispose();
        TryDelete(w.Slot.Path);
        w.Process?.Dispose();
        if (w.StopReason == StopReason.None && exit is not null && !(_closed && exit.ExitCode == 0))
        {
            _logger.LogWarning("{Worker} ended unexpectedly: {Exit}", w, exit.Description);
            GamutTelemetry.WorkerCrashes.Add(1, new KeyValuePair<string, object?>(GamutTelemetry.ExecutorTag, "processes"));
        }

        Settle(w, exit ?? new WorkerExit(null, null), slot, orphans);
        if (tripped is not null)
        {
            if (newlyTripped)
            {
                _logger.LogError("{Error}", tripped.Message);
            }

            FailUnservable(tripped);
        }

        EnsureWorkers();
        Dispatch();
    }

    /// <summary>
    /// Delivers the results a dead worker committed to its journal and never sent (it died before the frame ended).
    /// Only once its channel has been read to the end: the journal then holds exactly the results the pool has not seen.
    /// </summary>
    private void RecoverKeptResults(WorkerHandle w)
    {
        if (Interlocked.Exchange(ref w.Settling, 1) != 0 || w.State == WorkerState.Dead || !w.ReaderDone.Task.IsCompleted ||
            w.Slot.RecoverResults(w.ResultFrames) is not { } body)
        {
            return;
        }

        try
        {
            OnResults(w, body);
        }
        catch (ProtocolException e)
        {
            _logger.LogWarning("{Worker}: the results it kept could not be read: {Error}", w, e.Message);
        }
    }

    private void Settle(WorkerHandle w, WorkerExit exit, SlotSnapshot slot, List<PoolJob> orphans)
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
                    Leave(job);
                }
                else
                {
                    notStarted.Add(job);
                }

                continue;
            }

            if (job is ChunkJob chunk)
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
                        RetryItem(chunk, index, chunk.Attempt);
                    }
                    else if (chunk.Attempt < chunk.Options.Retry.MaxAttempts && !_immediate && !chunk.IsFinished)
                    {
                        RetryItem(chunk, index, chunk.Attempt + 1);
                    }
                    else
                    {
                        chunk.Chunk.SetItemError(index, Crashed(chunk.Name, chunk.Chunk.ItemId(index), chunk.Attempt, fate == CrashFate.Running));
                    }
                }

                Finish(chunk);
                Leave(chunk);
                continue;
            }

            if (job.Attempt < job.Options.Retry.MaxAttempts && !_immediate && !job.IsFinished && w.StopReason != StopReason.Shutdown)
            {
                ScheduleRetry(job);
            }
            else
            {
                Fail(job, Crashed(job.Name, job.Id, job.Attempt, CrashSettlement.Of(job, slot) == CrashFate.Running));
            }
        }

        if (notStarted.Count > 0)
        {
            Requeue(notStarted);
        }
    }

    /// <summary>Workers keep dying and none is ready: fail the queued work instead of letting it wait forever.</summary>
    private void FailUnservable(WorkerCrashLoopException error)
    {
        List<PoolJob> failed;
        lock (_gate)
        {
            if (AnyReadyLocked())
            {
                return;
            }

            failed = [.. _pending];
            _pending.Clear();
            foreach (var job in failed)
            {
                job.QueueNode = null;
                job.State = PoolJobState.Answered;
            }
        }

        foreach (var job in failed)
        {
            Fail(job, error);
        }
    }

    private static readonly TimeSpan FirstWorkerAlone = TimeSpan.FromMilliseconds(250);

    private void Tick()
    {
        List<(PoolJob Job, WorkerHandle Worker, SlotSnapshot Slot)>? timedOut = null;
        var probe = false;
        lock (_gate)
        {
            foreach (var w in _workers.ToArray())
            {
                switch (w.State)
                {
                    case WorkerState.Starting when Stopwatch.GetElapsedTime(w.StartedAt) > _options.StartTimeout:
                        _logger.LogWarning("{Worker} did not get ready within {Seconds} s: killing it", w, _options.StartTimeout.TotalSeconds);
                        StopWorkerLocked(w, StopReason.StartTimeout, kill: true);
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
                            StopWorkerLocked(w, StopReason.Timeout, signal: false);
                        }
                        else if (job is { CancelRequestedAt: not 0 } && Stopwatch.GetElapsedTime(job.CancelRequestedAt) > _options.StopGracePeriod)
                        {
                            _logger.LogWarning("{Worker}: cancelled job '{Job}' ({Id}) did not stop within {Grace} s: stopping its worker", w, job.Name, job.Id, _options.StopGracePeriod.TotalSeconds);
                            StopWorkerLocked(w, StopReason.Cancel);
                        }

                        break;
                    case WorkerState.Stopping when !w.KillSent && Stopwatch.GetElapsedTime(w.TermSentAt) > _options.StopGracePeriod:
                        _logger.LogWarning("{Worker} did not stop within {Grace} s: SIGKILL", w, _options.StopGracePeriod.TotalSeconds);
                        w.KillSent = true;
                        w.Process?.Signal(LinuxNative.SIGKILL);
                        break;
                }
            }

            probe = _startFailures.MayProbe && !_closed;
            if (!_firstConnected && _workers.Count > 0 && Stopwatch.GetElapsedTime(_workers[0].StartedAt) > FirstWorkerAlone)
            {
                // The first worker is slow to connect (a loaded machine): start the others anyway.
                _firstConnected = true;
                probe = true;
            }
        }

        foreach (var (job, w, slot) in timedOut ?? [])
        {
            OnTimeout(job, w, slot);
            lock (_gate)
            {
                if (w.State == WorkerState.Stopping)
                {
                    SignalStopLocked(w, kill: false);
                }
            }
        }

        if (probe)
        {
            EnsureWorkers();
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

    /// <summary>The running job timed out; its worker is being stopped. Fail (or retry) the job now; the rest of the worker's work is settled when it has ended.</summary>
    private void OnTimeout(PoolJob job, WorkerHandle w, SlotSnapshot slot)
    {
        var timeout = job.Options.Timeout!.Value;
        var detail = $"worker {w.Id} (pid {w.Pid}) got SIGTERM, and SIGKILL if it does not stop within {_options.StopGracePeriod.TotalSeconds:0.###} s";
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
            if (chunk.Options.Retry.RetryOnTimeout && chunk.Attempt < chunk.Options.Retry.MaxAttempts)
            {
                RetryItem(chunk, index, chunk.Attempt + 1);
            }
            else
            {
                chunk.Chunk.SetItemError(index, new JobTimeoutException(chunk.Name, chunk.Chunk.ItemId(index), timeout, detail));
            }

            return;
        }

        lock (_gate)
        {
            // Taken off the worker now, so the worker's end does not count it again.
            if (job.Worker != w || job.State != PoolJobState.Dispatched)
            {
                return;
            }

            var node = w.InFlight.Find(job);
            if (node is not null)
            {
                w.InFlight.Remove(node);
            }

            job.State = PoolJobState.Answered;
            job.Worker = null;
        }

        if (job.Options.Retry.RetryOnTimeout && job.Attempt < job.Options.Retry.MaxAttempts && !job.IsFinished)
        {
            ScheduleRetry(job);
        }
        else
        {
            Fail(job, new JobTimeoutException(job.Name, job.Id, timeout, detail));
        }
    }

    /// <summary>Stops every worker (idle ones by a stop frame, busy or starting ones by signal) and waits until all have ended.</summary>
    private Task StopWorkersAsync()
    {
        lock (_gate)
        {
            _stopped ??= StopWorkersCoreAsync();
            return _stopped;
        }
    }

    private async Task StopWorkersCoreAsync()
    {
        List<WorkerHandle> flush = [];
        lock (_gate)
        {
            foreach (var w in _workers)
            {
                switch (w.State)
                {
                    case WorkerState.Ready or WorkerState.Retiring when w.InFlight.Count == 0 && w.Channel is not null:
                        w.State = WorkerState.Stopping;
                        w.StopReason = StopReason.Shutdown;
                        w.TermSentAt = Stopwatch.GetTimestamp();
                        w.Enqueue(0, static (writer, _) =>
                        {
                            writer.BeginFrame(FrameType.Stop);
                            writer.EndFrame();
                        });
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

        while (true)
        {
            lock (_gate)
            {
                if (_workers.Count == 0)
                {
                    break;
                }
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        await _tick.DisposeAsync().ConfigureAwait(false);
        _listener.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
