using Gamut.Coordination;
using Gamut.Ipc.Native;

namespace Gamut.Ipc;

/// <summary>
/// A bounded queue shared by processes on one machine, by name: many producers, many consumers, items of up to a
/// fixed size, in a ring in shared memory.
/// </summary>
/// <remarks>
/// <para><b>What is guaranteed when a process dies.</b> Every enqueue and dequeue commits with one store, made
/// under a lock that is released when its holder dies. So an item is either wholly in the queue or not at all: a
/// producer that dies mid-enqueue adds nothing; a consumer that dies mid-dequeue takes nothing (the item stays for
/// the next consumer); the queue is never left corrupt or locked.</para>
/// <para><b>An item is the consumer's from the moment its dequeue returns</b> (at-most-once). If the consumer dies
/// after that, before it has done its work, the item is lost. Build acknowledgement on top when that matters (e.g.
/// record progress in a <see cref="SharedArray{T}"/>), or use Gamut.Redis's queue, which hands an item back when its
/// worker dies.</para>
/// <para>Order is FIFO among committed enqueues. Blocked producers and consumers sleep on futexes (one thread per
/// process wakes all async waiters), so a waiting queue costs no CPU.</para>
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
public sealed class IpcQueue<T> : IAsyncQueue<T>, IDisposable
{
    private const int HeadAt = SharedMutex.Size;
    private const int TailAt = HeadAt + 8;
    private const int ClosedAt = TailAt + 8;
    private const int NotEmptyAt = ClosedAt + 4;
    private const int NotFullAt = NotEmptyAt + 4;
    private const int ConsumersWaitingAt = NotFullAt + 4;
    private const int ProducersWaitingAt = ConsumersWaitingAt + 4;
    private const int SlotsAt = 128;

    private readonly IpcRegion _region;
    private readonly IpcCodec<T> _codec;
    private readonly SharedMutex _mutex;
    private readonly nint _body;
    private readonly int _slotSize;
    private readonly long _capacity;

    [ThreadStatic]
    private static byte[]? t_scratch;

    private unsafe IpcQueue(IpcRegion region, IpcCodec<T>? codec)
    {
        _region = region;
        _codec = codec ?? IpcCodec<T>.Default;
        _body = (nint)region.Body;
        _mutex = new SharedMutex(region, region.Body);
        MaxItemBytes = region.ElementSize;
        _slotSize = SlotSize(MaxItemBytes);
        _capacity = region.Capacity;
    }

    /// <summary>The queue's name.</summary>
    public string Name => _region.Name;

    /// <summary>The largest item, in bytes (encoded).</summary>
    public int MaxItemBytes { get; }

    /// <inheritdoc/>
    public long Capacity => _capacity;

    /// <inheritdoc/>
    public unsafe long Count
    {
        get
        {
            using var use = _region.Use();
            return Math.Max(0, Volatile.Read(ref *(long*)(_body + TailAt)) - Volatile.Read(ref *(long*)(_body + HeadAt)));
        }
    }

    /// <summary>How many consumers, in every process, are asleep waiting for an item (for tests and diagnostics).</summary>
    internal unsafe int WaitingConsumers
    {
        get
        {
            using var use = _region.Use();
            return Volatile.Read(ref *(int*)(_body + ConsumersWaitingAt));
        }
    }

    /// <summary>Whether the queue was closed.</summary>
    public unsafe bool IsClosed
    {
        get
        {
            using var use = _region.Use();
            return Volatile.Read(ref *(int*)(_body + ClosedAt)) != 0;
        }
    }

    /// <summary>Creates a queue.</summary>
    /// <param name="name">Its name: letters, digits, '.', '_' and '-', at most 200 characters.</param>
    /// <param name="capacity">The most items it holds.</param>
    /// <param name="maxItemBytes">The largest encoded item.</param>
    /// <param name="codec">How items become bytes; <see cref="IpcCodec{T}.Default"/> when null.</param>
    /// <exception cref="IpcObjectExistsException">The name is taken.</exception>
    public static IpcQueue<T> Create(string name, int capacity, int maxItemBytes = 1024, IpcCodec<T>? codec = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItemBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxItemBytes, 16 * 1024 * 1024);
        var body = SlotsAt + ((long)capacity * SlotSize(maxItemBytes));
        return new IpcQueue<T>(IpcRegion.Create(name, IpcKind.Queue, maxItemBytes, capacity, body), codec);
    }

    /// <summary>Opens an existing queue.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="codec">How items become bytes; must match the other processes'.</param>
    /// <exception cref="IpcObjectNotFoundException">No queue has this name.</exception>
    /// <exception cref="IpcLayoutMismatchException">The name belongs to another kind of object.</exception>
    public static IpcQueue<T> Open(string name, IpcCodec<T>? codec = null) => new(IpcRegion.Open(name, IpcKind.Queue, null), codec);

    /// <inheritdoc/>
    public async ValueTask EnqueueAsync(T item, CancellationToken cancellationToken = default)
    {
        // Every operation holds the mapping until it is over (a Dispose meanwhile fails its wait, not the process).
        using var use = _region.Use();
        var length = Encode(item);
        while (true)
        {
            ThrowIfDisposed();
            var (done, seq) = TryPut(length);
            if (done)
            {
                return;
            }

            Waiting(ProducersWaitingAt, 1);
            try
            {
                await FutexPump.WaitAsync(_region, _body + NotFullAt, seq, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Waiting(ProducersWaitingAt, -1);
            }

            // The scratch buffer is per thread and the continuation may run elsewhere: encode again.
            length = Encode(item);
        }
    }

    /// <inheritdoc/>
    public bool TryEnqueue(T item)
    {
        using var use = _region.Use();
        return TryPut(Encode(item)).Done;
    }

    /// <inheritdoc/>
    public async ValueTask<T> DequeueAsync(CancellationToken cancellationToken = default)
    {
        using var use = _region.Use();
        while (true)
        {
            ThrowIfDisposed();
            var (length, seq) = TryTake();
            if (length >= 0)
            {
                return _codec.Read(t_scratch.AsSpan(0, length));
            }

            Waiting(ConsumersWaitingAt, 1);
            try
            {
                await FutexPump.WaitAsync(_region, _body + NotEmptyAt, seq, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Waiting(ConsumersWaitingAt, -1);
            }
        }
    }

    /// <inheritdoc/>
    public bool TryDequeue(out T item)
    {
        using var use = _region.Use();
        var (length, _) = TryTake(wait: false);
        item = length >= 0 ? _codec.Read(t_scratch.AsSpan(0, length)) : default!;
        return length >= 0;
    }

    /// <inheritdoc/>
    public unsafe void Close()
    {
        using var use = _region.Use();
        _mutex.Enter();
        Volatile.Write(ref *(int*)(_body + ClosedAt), 1);
        _mutex.Exit();
        Bump(NotEmptyAt, ConsumersWaitingAt, force: true);
        Bump(NotFullAt, ProducersWaitingAt, force: true);
    }

    /// <summary>Unmaps the queue once nothing uses it; a pending enqueue or dequeue fails with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _region.Dispose();

    // A wait woken just as the queue was disposed does not go round again: it fails like an abandoned one.
    private void ThrowIfDisposed()
    {
        if (_region.IsDisposed)
        {
            throw _region.Disposed();
        }
    }

    private static int SlotSize(int maxItemBytes) => (4 + maxItemBytes + 7) & ~7;

    private int Encode(T item)
    {
        var scratch = t_scratch ??= new byte[Math.Max(256, MaxItemBytes)];
        if (scratch.Length < MaxItemBytes)
        {
            scratch = t_scratch = new byte[MaxItemBytes];
        }

        var n = _codec.Write(item, scratch.AsSpan(0, MaxItemBytes));
        return n >= 0 ? n : throw new ArgumentException($"The item does not fit the queue '{Name}' (items up to {MaxItemBytes} bytes)", nameof(item));
    }

    /// <summary>Adds the encoded item if there is room; otherwise returns the not-full sequence to wait on.</summary>
    private unsafe (bool Done, int Seq) TryPut(int length)
    {
        var scratch = t_scratch!;
        _mutex.Enter();
        var head = Volatile.Read(ref *(long*)(_body + HeadAt));
        var tail = Volatile.Read(ref *(long*)(_body + TailAt));
        if (Volatile.Read(ref *(int*)(_body + ClosedAt)) != 0)
        {
            _mutex.Exit();
            throw new QueueClosedException($"The queue '{Name}' is closed");
        }

        if (tail - head >= _capacity)
        {
            // Read under the lock: any dequeue after we let go bumps it, so the wait cannot miss it.
            var seq = Volatile.Read(ref *(int*)(_body + NotFullAt));
            _mutex.Exit();
            return (false, seq);
        }

        var slot = (byte*)(_body + SlotsAt + ((tail % _capacity) * _slotSize));
        *(int*)slot = length;
        scratch.AsSpan(0, length).CopyTo(new Span<byte>(slot + 4, length));
        // The commit: one store. A producer that dies before it added nothing.
        Volatile.Write(ref *(long*)(_body + TailAt), tail + 1);
        _mutex.Exit();
        Bump(NotEmptyAt, ConsumersWaitingAt, force: false);
        return (true, 0);
    }

    /// <summary>Takes the next item into this thread's scratch buffer; returns its length, or -1 and the not-empty sequence to wait on.</summary>
    private unsafe (int Length, int Seq) TryTake(bool wait = true)
    {
        var scratch = t_scratch ??= new byte[Math.Max(256, MaxItemBytes)];
        if (scratch.Length < MaxItemBytes)
        {
            scratch = t_scratch = new byte[MaxItemBytes];
        }

        _mutex.Enter();
        var head = Volatile.Read(ref *(long*)(_body + HeadAt));
        var tail = Volatile.Read(ref *(long*)(_body + TailAt));
        if (head == tail)
        {
            var closed = Volatile.Read(ref *(int*)(_body + ClosedAt)) != 0;
            var seq = Volatile.Read(ref *(int*)(_body + NotEmptyAt));
            _mutex.Exit();
            if (closed && wait)
            {
                throw new QueueClosedException($"The queue '{Name}' is closed and empty");
            }

            return (-1, seq);
        }

        var slot = (byte*)(_body + SlotsAt + ((head % _capacity) * _slotSize));
        var length = *(int*)slot;
        new ReadOnlySpan<byte>(slot + 4, length).CopyTo(scratch);
        // The commit: one store. A consumer that dies before it took nothing; after it, the item is its own.
        Volatile.Write(ref *(long*)(_body + HeadAt), head + 1);
        _mutex.Exit();
        Bump(NotFullAt, ProducersWaitingAt, force: false);
        return (length, 0);
    }

    private unsafe void Bump(int wordAt, int waitersAt, bool force)
    {
        var word = (int*)(_body + wordAt);
        Interlocked.Increment(ref *word);
        if (force || Volatile.Read(ref *(int*)(_body + waitersAt)) > 0)
        {
            LinuxNative.FutexWakeOn(word, int.MaxValue);
        }
    }

    private unsafe void Waiting(int at, int delta) => Interlocked.Add(ref *(int*)(_body + at), delta);
}
