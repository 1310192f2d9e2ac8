using System.Diagnostics;
using Gamut.Executors;
using Gamut.Pool.Engine;
using Gamut.Pool.Protocol;

namespace Gamut.Pool;

/// <summary>Queueing and sending work: the pending queue, batching into frames, cancellation and retries.</summary>
public sealed partial class ProcessPool
{
    /// <summary>Takes a unit into the pool and sends what can be sent.</summary>
    /// <param name="job">The unit.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <param name="delay">Wait this long before queueing it (a retry); none when zero.</param>
    /// <param name="accepted">Part of work the pool already took (a retry, a split chunk): allowed while draining.</param>
    /// <param name="dispatch">Send at once; false when the caller takes several units in and dispatches after.</param>
    /// <exception cref="ExecutorClosedException">The pool is shutting down.</exception>
    /// <exception cref="WorkerCrashLoopException">Workers keep dying and none is ready.</exception>
    private void Accept(PoolJob job, CancellationToken cancellationToken, TimeSpan delay = default, bool accepted = false, bool dispatch = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_immediate || (_closed && !accepted))
            {
                throw new ExecutorClosedException("process pool");
            }

            if (_crashLoop is not null && !AnyReadyLocked())
            {
                throw _crashLoop;
            }

            _outstanding++;
            if (delay > TimeSpan.Zero)
            {
                job.State = PoolJobState.Waiting;
                _waiting.Add(job);
            }
            else
            {
                job.State = PoolJobState.Queued;
                job.QueueNode = _pending.AddLast(job);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            job.Registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (pool, j) = ((ProcessPool, PoolJob))state!;
                    pool.CancelJob(j, new OperationCanceledException(token));
                },
                (this, job));
        }

        if (delay > TimeSpan.Zero)
        {
            RequeueAfter(job, delay);
        }
        else if (dispatch)
        {
            Dispatch();
        }
    }

    /// <summary>Sends frames to every ready worker with room, round-robin, until the queue or the room runs out.</summary>
    private void Dispatch()
    {
        List<WorkerHandle>? flush = null;
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            var ready = 0;
            foreach (var w in _workers)
            {
                if (w.State == WorkerState.Ready)
                {
                    ready++;
                }
            }

            var progress = true;
            while (progress && _pending.Count > 0)
            {
                progress = false;
                foreach (var w in _workers)
                {
                    if (_pending.Count == 0)
                    {
                        break;
                    }

                    if (w.State != WorkerState.Ready || w.FramesInFlight >= 2)
                    {
                        continue;
                    }

                    SendFrameLocked(w, ready);
                    (flush ??= []).Add(w);
                    progress = true;
                }
            }
        }

        if (flush is not null)
        {
            foreach (var w in flush)
            {
                w.Flush();
            }
        }
    }

    private void SendFrameLocked(WorkerHandle w, int readyWorkers)
    {
        var batch = FrameBatcher.Choose(_pending, readyWorkers);
        foreach (var job in batch)
        {
            _pending.Remove(job.QueueNode!);
            job.QueueNode = null;
            job.Seq = ++_seq;
            job.State = PoolJobState.Dispatched;
            job.Worker = w;
            job.CancelRequestedAt = 0;
            job.LastOfFrame = false;
            w.InFlight.AddLast(job);
            w.ItemsSent += job.ItemCount;
            if (job is ChunkJob { Chunk: IDispatchClock clock })
            {
                clock.Dispatched();
            }
        }

        batch[^1].LastOfFrame = true;
        w.FramesInFlight++;
        w.Enqueue((Batch: batch, Defined: w.DefinedJobs, Table: _jobs), static (writer, s) => FrameBatcher.Write(writer, s.Batch, s.Defined, s.Table));

        if (_options.MaxJobsPerWorker is { } max2 && w.ItemsSent >= max2)
        {
            RetireLocked(w, StopReason.Recycle);
        }
    }

    /// <summary>Cancels one unit: dropped from the queue, or told to its worker (which is stopped if the job does not stop in time).</summary>
    private void CancelJob(PoolJob job, Exception error)
    {
        WorkerHandle? flush = null;
        lock (_gate)
        {
            switch (job.State)
            {
                case PoolJobState.Queued:
                    _pending.Remove(job.QueueNode!);
                    job.QueueNode = null;
                    GoneLocked(job);
                    break;
                case PoolJobState.Waiting:
                    GoneLocked(job);
                    break;
                case PoolJobState.Dispatched when job.CancelRequestedAt == 0 && job.Worker is { } w:
                    job.CancelRequestedAt = Stopwatch.GetTimestamp();
                    w.Enqueue(job.Seq, static (writer, seq) =>
                    {
                        writer.BeginFrame(FrameType.Cancel);
                        writer.I64(seq);
                        writer.EndFrame();
                    });
                    flush = w;
                    break;
            }
        }

        flush?.Flush();
        Fail(job, error);
    }

    private List<PoolJob> Snapshot()
    {
        lock (_gate)
        {
            var all = new List<PoolJob>(_pending);
            foreach (var w in _workers)
            {
                all.AddRange(w.InFlight);
            }

            all.AddRange(_waiting);
            return all;
        }
    }

    private void CancelEverything()
    {
        foreach (var job in Snapshot())
        {
            CancelJob(job, new OperationCanceledException("The process pool was shut down"));
        }
    }

    /// <summary>Schedules another attempt of an answered unit after the policy's delay.</summary>
    private void ScheduleRetry(PoolJob job)
    {
        TimeSpan delay;
        lock (_gate)
        {
            if (job.State == PoolJobState.Gone)
            {
                return;
            }

            job.Attempt++;
            job.State = PoolJobState.Waiting;
            job.Worker = null;
            _waiting.Add(job);
            delay = job.Options.Retry.DelayBefore(job.Attempt);
        }

        RequeueAfter(job, delay);
    }

    private void RequeueAfter(PoolJob job, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Requeue(job);
            return;
        }

        _ = Task.Delay(delay).ContinueWith(
            static (_, s) =>
            {
                var (pool, j) = ((ProcessPool, PoolJob))s!;
                pool.Requeue(j);
            },
            (this, job),
            TaskScheduler.Default);
    }

    /// <summary>Puts a waiting or answered unit back at the front of the queue (or fails it when the pool is stopping now).</summary>
    private void Requeue(PoolJob job) => Requeue([job]);

    private void Requeue(IReadOnlyList<PoolJob> jobs)
    {
        List<PoolJob>? failed = null;
        lock (_gate)
        {
            for (var i = jobs.Count - 1; i >= 0; i--)
            {
                var job = jobs[i];
                _waiting.Remove(job);
                if (job.State == PoolJobState.Gone)
                {
                    continue;
                }

                if (_immediate || job.IsFinished)
                {
                    (failed ??= []).Add(job);
                    job.State = PoolJobState.Answered;
                    continue;
                }

                job.State = PoolJobState.Queued;
                job.Worker = null;
                job.QueueNode = _pending.AddFirst(job);
            }
        }

        foreach (var job in failed ?? [])
        {
            Fail(job, new OperationCanceledException("The process pool was shut down"));
        }

        Dispatch();
    }

    /// <summary>The unit leaves the pool's books.</summary>
    private void GoneLocked(PoolJob job)
    {
        if (job.State == PoolJobState.Gone)
        {
            return;
        }

        job.State = PoolJobState.Gone;
        job.Worker = null;
        _waiting.Remove(job);
        _outstanding--;
        CheckDrainedLocked();
    }

    private void CheckDrainedLocked()
    {
        if (_closed && _outstanding == 0)
        {
            _drained.TrySetResult();
        }
    }

    private bool AnyReadyLocked()
    {
        foreach (var w in _workers)
        {
            if (w.State is WorkerState.Ready or WorkerState.Retiring)
            {
                return true;
            }
        }

        return false;
    }

    private readonly HashSet<PoolJob> _waiting = [];
}

/// <summary>Told when its unit is first sent to a worker (map chunks use it to size later chunks).</summary>
internal interface IDispatchClock
{
    void Dispatched();
}
