using System.Threading.Channels;

namespace Gamut.Coordination;

/// <summary>
/// The in-process <see cref="IAsyncQueue{T}"/>: a bounded channel. An item taken is the taker's alone; nothing
/// survives the process.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class AsyncQueue<T> : IAsyncQueue<T>
{
    private readonly Channel<T> _channel;

    /// <summary>Creates a queue.</summary>
    /// <param name="capacity">The most items it holds, at least 1.</param>
    public AsyncQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <inheritdoc/>
    public long Count => _channel.Reader.Count;

    /// <inheritdoc/>
    public long Capacity { get; }

    /// <inheritdoc/>
    public async ValueTask EnqueueAsync(T item, CancellationToken cancellationToken = default)
    {
        try
        {
            await _channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new QueueClosedException();
        }
    }

    /// <inheritdoc/>
    public bool TryEnqueue(T item) => _channel.Writer.TryWrite(item);

    /// <inheritdoc/>
    public async ValueTask<T> DequeueAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new QueueClosedException();
        }
    }

    /// <inheritdoc/>
    public bool TryDequeue(out T item) => _channel.Reader.TryRead(out item!);

    /// <inheritdoc/>
    public void Close() => _channel.Writer.TryComplete();
}
