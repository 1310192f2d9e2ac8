namespace Gamut.Coordination;

/// <summary>
/// A bounded queue for many producers and many consumers. The same interface is implemented in-process
/// (<see cref="AsyncQueue{T}"/>), across processes on one machine (Gamut.Ipc) and across machines (Gamut.Redis);
/// each implementation documents what it guarantees when a consumer dies holding an item.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IAsyncQueue<T>
{
    /// <summary>Adds an item, waiting while the queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    ValueTask EnqueueAsync(T item, CancellationToken cancellationToken = default);

    /// <summary>Adds an item if there is room now.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether it was added.</returns>
    bool TryEnqueue(T item);

    /// <summary>Takes the next item, waiting while the queue is empty.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="QueueClosedException">The queue was closed and is empty.</exception>
    ValueTask<T> DequeueAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the next item if there is one now.</summary>
    /// <param name="item">The item, when one was taken.</param>
    /// <returns>Whether an item was taken.</returns>
    bool TryDequeue(out T item);

    /// <summary>The number of items waiting, as last known (may be stale across processes or machines).</summary>
    long Count { get; }

    /// <summary>The most items the queue holds.</summary>
    long Capacity { get; }

    /// <summary>Closes the queue: no more items are accepted; consumers take what is left, then get <see cref="QueueClosedException"/>.</summary>
    void Close();
}
