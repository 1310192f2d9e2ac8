using System.Diagnostics;
using Gamut.Executors;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// The pool's work, from the moment it is accepted until it leaves: the pending queue, units waiting out a retry delay,
/// which ready worker gets which units in which frame (<see cref="FrameBatcher"/>), each worker's in-flight list in
/// the order sent, cancellation and requeueing (the books of what is outstanding are <see cref="WorkLedger"/>). It never starts
/// or stops a worker: it gives work to the ready ones in <see cref="PoolGate.Workers"/> and asks for a worker to be
/// recycled when it has had its share.
/// </summary>
internal sealed class PoolDispatcher
{
    private readonly PoolGate _gate;
    private readonly JobTable _jobs;
    private readonly long? _maxJobsPerWorker;
    private readonly Action<WorkerHandle> _recycleLocked;
    private readonly WorkLedger _ledger;
    private readonly LinkedList<PoolJob> _pending = new();
    private long _seq;
    private long _pendingItems;

    /// <param name="gate">The lock and workers it shares with the supervisor.</param>
    /// <param name="ledger">The books: what is outstanding, what waits out a retry delay.</param>
    /// <param name="jobs">The job table the frames' definitions come from.</param>
    /// <param name="maxJobsPerWorker">Items after which a worker is recycled; null: never.</param>
    /// <param name="recycleLocked">Retires a worker that has had its share (called under the lock).</param>
    public PoolDispatcher(PoolGate gate, WorkLedger ledger, JobTable jobs, long? maxJobsPerWorker, Action<WorkerHandle> recycleLocked)
    {
        _gate = gate;
        _ledger = ledger;
        _jobs = jobs;
        _maxJobsPerWorker = maxJobsPerWorker;
        _recycleLocked = recycleLocked;
    }

    /// <summary>Units in the pending queue.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate.Lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Items in the pending queue, waiting for a worker (the <c>gamut.executor.queue_depth</c> gauge).</summary>
    public long PendingItems => Volatile.Read(ref _pendingItems);

    /// <summary>Items in units handed to workers and not yet answered in full (the <c>gamut.executor.in_flight</c> gauge; counted when observed).</summary>
    public long InFlightItems
    {
        get
        {
            long items = 0;
            lock (_gate.Lock)
            {
                foreach (var w in _gate.Workers)
                {
                    foreach (var job in w.InFlight)
                    {
                        items += job.ItemCount;
                    }
                }
            }

            return items;
        }
    }

    /// <summary>Takes a unit into the pool and sends what can be sent.</summary>
    /// <param name="job">The unit.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <param name="delay">Wait this long before queueing it (a retry); none when zero.</param>
    /// <param name="accepted">Part of work the pool already took (a retry, a split chunk): allowed while draining.</param>
    /// <param name="dispatch">Send at once; false when the caller takes several units in and dispatches after.</param>
    /// <exception cref="ExecutorClosedException">The pool is shutting down.</exception>
    /// <exception cref="WorkerCrashLoopException">Workers keep dying and none is ready.</exception>
    public void Accept(PoolJob job, CancellationToken cancellationToken, TimeSpan delay = default, bool accepted = false, bool dispatch = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate.Lock)
        {
            if (_gate.Immediate || (_gate.Closed && !accepted))
            {
                throw new ExecutorClosedException("process pool");
            }

            if (_gate.CrashLoop is { } crashLoop && !_gate.AnyReadyLocked())
            {
                throw crashLoop;
            }

            _ledger.AcceptLocked();
            if (delay > TimeSpan.Zero)
            {
                _ledger.WaitLocked(job);
            }
            else
            {
                job.State = PoolJobState.Queued;
                job.QueueNode = _pending.AddLast(job);
                _pendingItems += job.ItemCount;
            }
        }

        if (!accepted)
        {
            PoolMetrics.Submitted(job);
        }

        if (cancellationToken.CanBeCanceled)
        {
            job.Registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (dispatcher, j) = ((PoolDispatcher, PoolJob))state!;
                    dispatcher.Cancel(j, new OperationCanceledException(token));
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
    public void Dispatch()
    {
        List<WorkerHandle>? flush = null;
        lock (_gate.Lock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            var ready = _gate.ReadyCountLocked();
            var progress = true;
            while (progress && _pending.Count > 0)
            {
                progress = false;
                foreach (var w in _gate.Workers)
                {
                    if (_pending.Count == 0)
                    {
                        break;
                    }

                    // Two frames in flight: the worker reads the next while it runs this one.
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
            _pendingItems -= job.ItemCount;
            job.QueueNode = null;
            job.Seq = ++_seq;
            job.State = PoolJobState.Dispatched;
            job.Worker = w;
            job.CancelRequestedAt = 0;
            job.LastOfFrame = false;
            w.InFlight.AddLast(job);
            w.ItemsSent += job.ItemCount;
            PoolMetrics.Started(job);
            if (job is ChunkJob { Chunk: IDispatchClock clock })
            {
                clock.Dispatched();
            }
        }

        batch[^1].LastOfFrame = true;
        w.FramesInFlight++;
        w.Enqueue((Batch: batch, Defined: w.DefinedJobs, Table: _jobs), static (writer, s) => FrameBatcher.Write(writer, s.Batch, s.Defined, s.Table));

        if (_maxJobsPerWorker is { } max && w.ItemsSent >= max)
        {
            _recycleLocked(w);
        }
    }

    /// <summary>
    /// Takes the answered unit off its worker's in-flight list (when the answer is final). Answers come in the order
    /// sent, so the unit is the first one in flight.
    /// </summary>
    /// <exception cref="ProtocolException">The worker answered a unit it was not running.</exception>
    public PoolJob Answered(WorkerHandle w, long seq, bool final)
    {
        lock (_gate.Lock)
        {
            var node = w.InFlight.First;
            if (node is null || node.Value.Seq != seq)
            {
                throw new ProtocolException($"{w} answered job #{seq}, which it was not running");
            }

            var job = node.Value;
            if (!final)
            {
                return job;
            }

            w.InFlight.RemoveFirst();
            if (job.LastOfFrame && w.FramesInFlight > 0)
            {
                w.FramesInFlight--;
            }

            job.Worker = null;
            job.State = PoolJobState.Answered;
            return job;
        }
    }

    /// <summary>Takes a unit off a worker being stopped (its timeout is settled now, so the worker's end must not count it again); false when it is no longer there.</summary>
    public bool TakeOff(PoolJob job, WorkerHandle w)
    {
        lock (_gate.Lock)
        {
            if (job.Worker != w || job.State != PoolJobState.Dispatched)
            {
                return false;
            }

            var node = w.InFlight.Find(job);
            if (node is not null)
            {
                w.InFlight.Remove(node);
            }

            job.State = PoolJobState.Answered;
            job.Worker = null;
            return true;
        }
    }

    /// <summary>Cancels one unit: dropped from the queue, or told to its worker (the watch stops the worker if the job does not stop in time).</summary>
    public void Cancel(PoolJob job, Exception error)
    {
        WorkerHandle? flush = null;
        lock (_gate.Lock)
        {
            switch (job.State)
            {
                case PoolJobState.Queued:
                    _pending.Remove(job.QueueNode!);
                    _pendingItems -= job.ItemCount;
                    job.QueueNode = null;
                    _ledger.GoneLocked(job);
                    break;
                case PoolJobState.Waiting:
                    _ledger.GoneLocked(job);
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
        _ledger.Fail(job, error);
    }

    /// <summary>Cancels every unit the pool holds: queued, waiting and in flight.</summary>
    public void CancelAll(string reason)
    {
        List<PoolJob> all;
        lock (_gate.Lock)
        {
            all = new List<PoolJob>(_pending);
            foreach (var w in _gate.Workers)
            {
                all.AddRange(w.InFlight);
            }

            all.AddRange(_ledger.WaitingLocked);
        }

        foreach (var job in all)
        {
            Cancel(job, new OperationCanceledException(reason));
        }
    }

    /// <summary>Schedules another attempt of an answered unit after the policy's delay; the attempt that ended is counted failed with <paramref name="errorType"/>.</summary>
    public void ScheduleRetry(PoolJob job, string errorType)
    {
        TimeSpan delay;
        lock (_gate.Lock)
        {
            if (job.State == PoolJobState.Gone)
            {
                return;
            }

            PoolMetrics.Failed(job, job.ItemCount, errorType, PoolMetrics.Share(job, job.ItemCount));
            PoolMetrics.Retried(job, job.ItemCount);
            job.Attempt++;
            _ledger.WaitLocked(job);
            delay = job.Options.Retry.DelayBefore(job.Attempt);
        }

        RequeueAfter(job, delay);
    }

    private void RequeueAfter(PoolJob job, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Requeue([job]);
            return;
        }

        _ = Task.Delay(delay).ContinueWith(
            static (_, s) =>
            {
                var (dispatcher, j) = ((PoolDispatcher, PoolJob))s!;
                dispatcher.Requeue([j]);
            },
            (this, job),
            TaskScheduler.Default);
    }

    /// <summary>Puts waiting or answered units back at the front of the queue, in their order (or fails them when the pool is stopping now).</summary>
    public void Requeue(IReadOnlyList<PoolJob> jobs)
    {
        List<PoolJob>? failed = null;
        lock (_gate.Lock)
        {
            for (var i = jobs.Count - 1; i >= 0; i--)
            {
                var job = jobs[i];
                _ledger.StopWaitingLocked(job);
                if (job.State == PoolJobState.Gone)
                {
                    continue;
                }

                if (_gate.Immediate || job.IsFinished)
                {
                    (failed ??= []).Add(job);
                    job.State = PoolJobState.Answered;
                    continue;
                }

                job.State = PoolJobState.Queued;
                job.Worker = null;
                job.QueueNode = _pending.AddFirst(job);
                _pendingItems += job.ItemCount;
            }
        }

        foreach (var job in failed ?? [])
        {
            _ledger.Fail(job, new OperationCanceledException("The process pool was shut down"));
        }

        Dispatch();
    }

    /// <summary>Empties the pending queue when no worker can serve it (workers keep dying); null when some worker is ready.</summary>
    public List<PoolJob>? TakeUnservable()
    {
        lock (_gate.Lock)
        {
            if (_gate.AnyReadyLocked())
            {
                return null;
            }

            var taken = new List<PoolJob>(_pending);
            _pending.Clear();
            _pendingItems = 0;
            foreach (var job in taken)
            {
                job.QueueNode = null;
                job.State = PoolJobState.Answered;
            }

            return taken;
        }
    }
}

/// <summary>Told when its unit is first sent to a worker (map chunks use it to size later chunks).</summary>
internal interface IDispatchClock
{
    void Dispatched();
}
