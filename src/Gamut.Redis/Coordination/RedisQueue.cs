using Gamut.Coordination;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Coordination;

/// <summary>
/// A bounded FIFO queue across machines, on a Redis LIST. An item is removed when a consumer takes it: a consumer
/// that dies holding an item loses it (at-most-once). For work that must survive its worker, use
/// <see cref="RedisExecutor"/> and <see cref="RedisWorker"/>, which keep every taken job in an in-flight list.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class RedisQueue<T> : IAsyncQueue<T>
{
    private readonly RedisConnection _connection;
    private readonly IJobSerializer _serializer;
    private readonly RedisKey _items;
    private readonly RedisKey _closed;
    private readonly RedisChannel _channel;

    internal RedisQueue(RedisConnection connection, string name, long capacity, IJobSerializer serializer)
    {
        _connection = connection;
        _serializer = serializer;
        var tag = $"{connection.Options.KeyPrefix}:{{queue.{name}}}:";
        _items = tag + "items";
        _closed = tag + "closed";
        _channel = RedisChannel.Literal($"{connection.Options.KeyPrefix}:queue:{name}");
        Capacity = capacity;
    }

    /// <inheritdoc/>
    public long Count => _connection.Database.ListLength(_items);

    /// <inheritdoc/>
    public long Capacity { get; }

    /// <inheritdoc/>
    public async ValueTask EnqueueAsync(T item, CancellationToken cancellationToken = default)
    {
        var payload = _serializer.SerializeToArray(item);
        await WaitLoopAsync(
            async () =>
            {
                var r = (long)await _connection.Database.ScriptEvaluateAsync(LuaScripts.QueuePush, [_items, _closed], [payload, Capacity, _channel.ToString()]).ConfigureAwait(false);
                return r == -1 ? throw new QueueClosedException() : r == 1;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public bool TryEnqueue(T item)
    {
        var r = (long)_connection.Database.ScriptEvaluate(LuaScripts.QueuePush, [_items, _closed], [_serializer.SerializeToArray(item), Capacity, _channel.ToString()]);
        return r == -1 ? throw new QueueClosedException() : r == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<T> DequeueAsync(CancellationToken cancellationToken = default)
    {
        T value = default!;
        await WaitLoopAsync(
            async () =>
            {
                var r = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(LuaScripts.QueuePop, [_items, _closed], [_channel.ToString()]).ConfigureAwait(false))!;
                return Decode(r, out value);
            },
            cancellationToken).ConfigureAwait(false);
        return value;
    }

    /// <inheritdoc/>
    public bool TryDequeue(out T item)
    {
        var r = (RedisResult[])_connection.Database.ScriptEvaluate(LuaScripts.QueuePop, [_items, _closed], [_channel.ToString()])!;
        return Decode(r, out item);
    }

    /// <inheritdoc/>
    public void Close()
    {
        _connection.Database.StringSet(_closed, "1");
        _connection.Subscriber.Publish(_channel, "closed");
    }

    private bool Decode(RedisResult[] r, out T item)
    {
        item = default!;
        switch ((long)r[0])
        {
            case 1:
                item = _serializer.Deserialize<T>((byte[])r[1]!);
                return true;
            case -1:
                throw new QueueClosedException();
            default:
                return false;
        }
    }

    // Tries, and while it cannot, waits for any change to the queue (or a second, in case the message was lost).
    private async Task WaitLoopAsync(Func<Task<bool>> attempt, CancellationToken cancellationToken)
    {
        using var changed = new SemaphoreSlim(0);
        void OnChange(RedisChannel _, RedisValue __) => Signals.Poke(changed);
        await _connection.Subscriber.SubscribeAsync(_channel, OnChange).ConfigureAwait(false);
        try
        {
            while (!await attempt().WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await _connection.Subscriber.UnsubscribeAsync(_channel, OnChange).ConfigureAwait(false);
        }
    }
}
