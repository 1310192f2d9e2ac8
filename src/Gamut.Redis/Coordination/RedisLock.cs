using Gamut.Coordination;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Coordination;

/// <summary>
/// A lock across machines: <c>SET NX PX</c> with a lease that its holder renews while it holds it, and a fencing
/// token (<c>INCR</c> of a per-lock counter) that grows with every acquisition. A holder that dies, or is cut off
/// from Redis, loses the lock when its lease runs out; a paused holder may still believe it holds it, which is what
/// the fencing token is for: pass it to the resource the lock protects, and let that refuse older tokens.
/// </summary>
public sealed class RedisLock : IAsyncLock
{
    private readonly RedisConnection _connection;
    private readonly RedisKey _owner;
    private readonly RedisKey _fence;
    private readonly RedisChannel _channel;
    private readonly TimeSpan _lease;

    internal RedisLock(RedisConnection connection, string name, TimeSpan lease)
    {
        _connection = connection;
        var tag = $"{connection.Options.KeyPrefix}:{{lock.{name}}}:";
        _owner = tag + "owner";
        _fence = tag + "fence";
        _channel = RedisChannel.Literal($"{connection.Options.KeyPrefix}:lock:{name}");
        _lease = lease;
        Name = name;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public async ValueTask<ILockLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var token = Guid.NewGuid().ToString("N");
        var leaseMs = (long)_lease.TotalMilliseconds;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        using var released = new SemaphoreSlim(0);
        void OnReleased(RedisChannel _, RedisValue __) => Signals.Poke(released);
        await _connection.Subscriber.SubscribeAsync(_channel, OnReleased).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var result = await _connection.Database.ScriptEvaluateAsync(LuaScripts.LockAcquire, [_owner, _fence], [token, leaseMs]).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (!result.IsNull)
                {
                    return new Lease(this, token, (long)result);
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return null;
                }

                // Woken by a release message, or looking again in a while (the holder may have died without one).
                await released.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(left, Math.Max(50, leaseMs / 4))), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await _connection.Subscriber.UnsubscribeAsync(_channel, OnReleased).ConfigureAwait(false);
        }
    }

    /// <summary>A held lock: renewed in the background until disposed; <see cref="Lost"/> fires if the lease ran out meanwhile.</summary>
    public sealed class Lease : ILockLease
    {
        private readonly RedisLock _lock;
        private readonly string _token;
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _lost = new();
        private readonly Task _renewal;

        internal Lease(RedisLock owner, string token, long fencingToken)
        {
            _lock = owner;
            _token = token;
            FencingToken = fencingToken;
            _renewal = Task.Run(RenewAsync);
        }

        /// <inheritdoc/>
        public long FencingToken { get; }

        /// <summary>Cancelled when the lease was lost (a renewal found another holder, or came too late).</summary>
        public CancellationToken Lost => _lost.Token;

        /// <inheritdoc/>
        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await _lock._connection.Database.ScriptEvaluateAsync(LuaScripts.LockRelease, [_lock._owner], [_token, _lock._channel.ToString()]).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // The lease runs out by itself.
            }

            _stop.Dispose();
        }

        private async Task RenewAsync()
        {
            var leaseMs = (long)_lock._lease.TotalMilliseconds;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(leaseMs / 3), _stop.Token).ConfigureAwait(false);
                    var held = (long)await _lock._connection.Database.ScriptEvaluateAsync(LuaScripts.LockRenew, [_lock._owner], [_token, leaseMs]).ConfigureAwait(false);
                    if (held == 0)
                    {
                        await _lost.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    // Try again next time; if Redis stays away past the lease, the next renewal reports the loss.
                }
            }
        }
    }
}
