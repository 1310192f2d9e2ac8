using System.Collections.Concurrent;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

/// <summary>
/// Runs jobs on the .NET thread pool with at most <see cref="MaxConcurrency"/> at once; the rest wait in a FIFO
/// queue. With <see cref="ThreadsExecutorOptions.DedicatedThreads"/> it owns its threads instead, for work that
/// blocks (synchronous I/O, native calls) and would starve the shared pool.
/// </summary>
public sealed class ThreadsExecutor : InProcessExecutor
{
    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly SemaphoreSlim? _dedicatedSignal;
    private readonly Thread[] _threads;
    private int _running;
    private volatile bool _stopping;

    /// <summary>Creates the executor.</summary>
    /// <param name="options">Concurrency, dedicated threads, registry, logger.</param>
    public ThreadsExecutor(ThreadsExecutorOptions? options = null)
        : base("threads", options?.Registry, options?.Logger)
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

    /// <summary>The most jobs running at once.</summary>
    public int MaxConcurrency { get; }

    /// <inheritdoc/>
    protected override int DefaultWindow => MaxConcurrency * 2;

    /// <inheritdoc/>
    protected override Task<T> ExecuteAsync<T>(Func<JobContext, ValueTask<T>> work, JobContext context)
    {
        var item = new WorkItem<T>(work, context);
        _queue.Enqueue(item);
        if (_dedicatedSignal is not null)
        {
            _dedicatedSignal.Release();
        }
        else if (TryAcquireSlot())
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.SlotLoopAsync(), this, preferLocal: false);
        }

        return item.Task;
    }

    /// <inheritdoc/>
    protected override ValueTask OnShutdownAsync()
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

    // One slot: runs queued items one after another until the queue is empty. A slot is held for the whole of an
    // async job, so MaxConcurrency bounds jobs in progress, not just threads busy.
    private async Task SlotLoopAsync()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var item))
            {
                await item.RunAsync().ConfigureAwait(false);
            }

            Interlocked.Decrement(ref _running);

            // An item enqueued between our last TryDequeue and the decrement saw no free slot; take it now.
            if (_queue.IsEmpty || !TryAcquireSlot())
            {
                return;
            }
        }
    }

    private void DedicatedLoop()
    {
        while (true)
        {
            _dedicatedSignal!.Wait();
            if (_queue.TryDequeue(out var item))
            {
                item.RunAsync().AsTask().GetAwaiter().GetResult();
            }
            else if (_stopping)
            {
                return;
            }
        }
    }

    private abstract class WorkItem
    {
        public abstract ValueTask RunAsync();
    }

    private sealed class WorkItem<T>(Func<JobContext, ValueTask<T>> work, JobContext context) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override async ValueTask RunAsync()
        {
            try
            {
                if (context.CancellationToken.IsCancellationRequested)
                {
                    _completion.TrySetCanceled(context.CancellationToken);
                    return;
                }

                _completion.TrySetResult(await work(context).ConfigureAwait(false));
            }
            catch (OperationCanceledException e) when (context.CancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                _completion.TrySetException(e);
            }
        }
    }
}
