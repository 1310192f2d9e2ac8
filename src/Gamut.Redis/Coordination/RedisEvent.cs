using Gamut.Coordination;
using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Coordination;

/// <summary>
/// A manual-reset event across machines: a key that exists while the event is set, and a PUB/SUB message when it
/// is set. A waiter subscribes before it looks at the key, and looks again every second, so a lost message delays
/// it at most that long.
/// </summary>
public sealed class RedisEvent : IAsyncEvent
{
    private readonly RedisConnection _connection;
    private readonly RedisKey _key;
    private readonly RedisChannel _channel;

    internal RedisEvent(RedisConnection connection, string name)
    {
        _connection = connection;
        _key = $"{connection.Options.KeyPrefix}:{{event.{name}}}:set";
        _channel = RedisChannel.Literal($"{connection.Options.KeyPrefix}:event:{name}");
    }

    /// <inheritdoc/>
    public bool IsSet => _connection.Database.KeyExists(_key);

    /// <inheritdoc/>
    public void Set()
    {
        _connection.Database.StringSet(_key, "1");
        _connection.Subscriber.Publish(_channel, "set");
    }

    /// <inheritdoc/>
    public void Reset() => _connection.Database.KeyDelete(_key);

    /// <inheritdoc/>
    public async ValueTask WaitAsync(CancellationToken cancellationToken = default) =>
        await WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        using var signal = new SemaphoreSlim(0);
        void OnSet(RedisChannel _, RedisValue __) => Signals.Poke(signal);
        await _connection.Subscriber.SubscribeAsync(_channel, OnSet).ConfigureAwait(false);
        try
        {
            while (true)
            {
                if (await _connection.Database.KeyExistsAsync(_key).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                await signal.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(left, 1000)), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await _connection.Subscriber.UnsubscribeAsync(_channel, OnSet).ConfigureAwait(false);
        }
    }
}
