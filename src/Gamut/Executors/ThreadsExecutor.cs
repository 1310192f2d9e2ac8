using System.Collections.Concurrent;

namespace Gamut.Executors;

/// <summary>
/// Runs jobs on the .NET thread pool with at most <see cref="MaxConcurrency"/> in progress at once; the rest wait
/// in a FIFO queue. With <see cref="ThreadsExecutorOptions.DedicatedThreads"/> it owns its threads instead, one job
/// per thread, for work that blocks (synchronous I/O, native calls) and would starve the shared pool.
/// </summary>
/// <remarks>
/// <para>A slot is held for the whole of an async job, so <see cref="MaxConcurrency"/> bounds jobs in progress, not
/// just threads busy. Each job is one thread-pool work item, as with <c>Task.Run</c>; a finished job hands its slot
/// to the next queued one.</para>
/// <para>On the shared pool a caller's continuation runs on the thread that finished the job (as after
/// <c>await Task.Run(...)</c>), but only after the job's slot is free, so a caller that waits synchronously for
/// another job cannot starve the executor. Dedicated threads never run callers' continuations.</para>
/// </remarks>
public sealed class ThreadsExecutor : InProcessExecutor
{
    private readonly ConcurrentQueue<ExecutorRun> _pending = new();
    private readonly SemaphoreSlim? _dedicatedSignal;
    private readonly Thread[] _threads;
    private int _running;
    private volatile bool _stopping;

    /// <summary>Creates the executor.</summary>
    /// <param name="options">Concurrency, dedicated threads, registry, logger.</param>
    public ThreadsExecutor(ThreadsExecutorOptions? options = null)
        : base(options?.DedicatedThreads == true ? "dedicated-threads" : "threads", options?.Registry, options?.Logger, asynchronousContinuations: options?.DedicatedThreads == true)
    {
        options ??= new ThreadsExecutorOptions();
        options.Validate();
        MaxConcurrency = options.MaxConcurrency ?? Environment.ProcessorCount;
        if (options.DedicatedThreads)
        {
            _dedicatedSignal = new SemaphoreSlim(0);
            _threads = new Thread[MaxConcurrency];
            for (var i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(DedicatedLoop) { IsBackground = true, Name = $"gamut-threads-{i}" };
                _threads[i].Start();
            }
        }
        else
        {
            _threads = [];
        }
    }

    /// <summary>The most jobs in progress at once.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Whether the executor runs on threads of its own rather than the shared pool.</summary>
    public bool DedicatedThreads => _dedicatedSignal is not null;

    /// <inheritdoc/>
    public override long QueuedJobs => _pending.Count;

    internal override int DefaultWindow => MaxConcurrency >= int.MaxValue / 2 ? 1024 : Math.Max(2, MaxConcurrency * 2);

    internal override void Schedule(ExecutorRun run)
    {
        if (_dedicatedSignal is not null)
        {
            _pending.Enqueue(run);
            _dedicatedSignal.Release();
            return;
        }

        if (TryAcquireSlot())
        {
            ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: true);
            return;
        }

        _pending.Enqueue(run);

        // A slot freed between the failed acquire and the enqueue was released by a run that saw an empty queue.
        if (TryAcquireSlot())
        {
            DispatchNextOrRelease();
        }
    }

    internal override void RunOnThreadPool(ExecutorRun run)
    {
        if (run.Execute())
        {
            DispatchNextOrRelease();
            run.Publish();
        }
    }

    internal override void WorkFinishedAsynchronously(ExecutorRun run)
    {
        // On dedicated threads the thread that ran the job publishes once it wakes.
        if (_dedicatedSignal is null)
        {
            DispatchNextOrRelease();
            run.Publish();
        }
    }

    internal override void DropQueued()
    {
        while (_pending.TryDequeue(out var run))
        {
            run.CancelQueued();
        }
    }

    internal override ValueTask StopEngineAsync()
    {
        if (_dedicatedSignal is not null && !_stopping)
        {
            _stopping = true;
            _dedicatedSignal.Release(_threads.Length);
        }

        return ValueTask.CompletedTask;
    }

    private bool TryAcquireSlot()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (running >= MaxConcurrency)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _running, running + 1, running) == running)
            {
                return true;
            }
        }
    }

    // Called holding a slot whose run has finished: pass the slot to the next queued run, or give it back.
    private void DispatchNextOrRelease()
    {
        while (true)
        {
            if (_pending.TryDequeue(out var next))
            {
                ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
                return;
            }

            Interlocked.Decrement(ref _running);

            // A run queued after our TryDequeue and before the decrement found no free slot; take it for it.
            if (_pending.IsEmpty || !TryAcquireSlot())
            {
                return;
            }
        }
    }

    private void DedicatedLoop()
    {
        using var finished = new ManualResetEventSlim(false, spinCount: 0);
        while (true)
        {
            _dedicatedSignal!.Wait();
            if (_pending.TryDequeue(out var run))
            {
                // One job per thread: an async job holds its thread until it ends, so the thread count bounds jobs.
                finished.Reset();
                run.WorkFinishedSignal = finished;
                if (!run.Execute())
                {
                    finished.Wait();
                }

                run.Publish();
            }
            else if (_stopping)
            {
                return;
            }
        }
    }
}
