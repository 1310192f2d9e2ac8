using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// Writes to a Sentinel-managed primary go only where Sentinel and the instance itself agree it is the primary.
/// After any disconnect, reconnection or change of the client's configuration (and on Sentinel's
/// <c>+switch-master</c>), the gate closes; it opens again once a majority of the Sentinels name a primary
/// (<c>SENTINEL get-master-addr-by-name</c>), the client is connected to that address, it answers <c>ROLE</c> with
/// <c>master</c>, and no other instance the client is connected to answers <c>master</c> too.
/// </summary>
/// <remarks>
/// Why: a primary that crashed and restarted empty on its old address answers as a primary until Sentinel demotes it,
/// and StackExchange.Redis spreads writes over every instance it sees as a primary. Writes sent there are erased by
/// the demotion (it resynchronises from the new primary). While the gate is closed, writes wait, up to the client's
/// command timeout, then fail as surely not sent (the callers' retries take over). An instance that was down when
/// the gate opened is watched: the first write after it comes back closes the gate again, before anything is sent
/// to it. When open, the check is one volatile read and the length of an empty array.
/// </remarks>
internal sealed class PrimaryGate : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly IConnectionMultiplexer _data;
    private readonly ConnectionMultiplexer _sentinels;
    private readonly string _service;
    private readonly int _sentinelCount;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly Lock _lock = new();
    private volatile TaskCompletionSource? _closed;
    private volatile IServer[] _watch = [];
    private long _generation;
    private bool _confirming;
    private string? _lastWhy;

    private PrimaryGate(IConnectionMultiplexer data, ConnectionMultiplexer sentinels, string service, int sentinelCount, ILogger log)
    {
        _data = data;
        _sentinels = sentinels;
        _service = service;
        _sentinelCount = sentinelCount;
        _log = log;
    }

    /// <summary>The primary last confirmed, or null before the first confirmation.</summary>
    public EndPoint? Primary { get; private set; }

    /// <summary>
    /// Connects to the Sentinels of <paramref name="sentinelConfiguration"/> (its endpoints and service name), watches
    /// <paramref name="data"/>, and returns once the primary is confirmed.
    /// </summary>
    public static async Task<PrimaryGate> StartAsync(IConnectionMultiplexer data, ConfigurationOptions sentinelConfiguration, ILogger log, CancellationToken cancellationToken)
    {
        var config = sentinelConfiguration.Clone();
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        var sentinels = await ConnectionMultiplexer.SentinelConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
        var gate = new PrimaryGate(data, sentinels, config.ServiceName!, sentinelConfiguration.EndPoints.Count, log);
        try
        {
            await sentinels.GetSubscriber().SubscribeAsync(RedisChannel.Literal("+switch-master"), (_, message) =>
            {
                if (((string?)message)?.Split(' ') is [var name, ..] && name == gate._service)
                {
                    gate.Close($"Sentinel switched the primary ({message})");
                }
            }).WaitAsync(cancellationToken).ConfigureAwait(false);
            data.ConnectionFailed += gate.OnConnectionEvent;
            data.ConnectionRestored += gate.OnConnectionEvent;
            data.ConfigurationChanged += gate.OnConfigurationChanged;
            gate.Close("start");
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await gate.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return gate;
    }

    /// <summary>
    /// Completes at once when writes may go to the primary; else waits until it is confirmed.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary confirmed within the client's command timeout (nothing was sent).</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        var closed = _closed;
        if (closed is null)
        {
            var watch = _watch;
            if (watch.Length == 0 || !AnyBack(watch))
            {
                return default;
            }

            closed = _closed;
            if (closed is null)
            {
                return default;
            }
        }

        return new ValueTask(WaitClosedAsync(closed, cancellationToken));
    }

    /// <summary>Changes whenever the gate closes: read after <see cref="WaitAsync"/>, compared after a write.</summary>
    public long Epoch => Volatile.Read(ref _generation);

    /// <summary>
    /// After a write sent at <paramref name="epoch"/>: whether it may have gone to another instance than the confirmed
    /// primary — the gate closed meanwhile, or an instance that was down is reachable again (the check before the
    /// write and the client's choice of server are two steps). The caller sends an idempotent write again.
    /// </summary>
    public bool Doubtful(long epoch)
    {
        if (Volatile.Read(ref _generation) != epoch)
        {
            return true;
        }

        var watch = _watch;
        return watch.Length != 0 && AnyBack(watch);
    }

    /// <summary>Whether an instance that was down when the gate opened is reachable again (then the gate is closed).</summary>
    private bool AnyBack(IServer[] watch)
    {
        foreach (var server in watch)
        {
            if (server.IsConnected)
            {
                // It may be an old primary restarted (empty), not yet demoted: confirm before anything is sent.
                Close($"{server.EndPoint} is reachable again");
                return true;
            }
        }

        return false;
    }

    private async Task WaitClosedAsync(TaskCompletionSource closed, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1000, _data.TimeoutMilliseconds));
        try
        {
            await closed.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RedisConnectionException(
                ConnectionFailureType.UnableToResolvePhysicalConnection,
                CommandFlags.None,
                $"Sentinel service '{_service}': no primary confirmed within {timeout.TotalSeconds:0.#} s after a disconnect ({_lastWhy ?? "waiting"}); nothing was sent",
                null,
                CommandStatus.WaitingToBeSent);
        }
    }

    private void OnConnectionEvent(object? sender, ConnectionFailedEventArgs e) => Close($"{e.ConnectionType} connection to {e.EndPoint} {e.FailureType}");

    private void OnConfigurationChanged(object? sender, EndPointEventArgs e) => Close($"configuration changed ({e.EndPoint})");

    /// <summary>Stops writes until the primary is confirmed again.</summary>
    public void Close(string why)
    {
        lock (_lock)
        {
            _generation++;
            _watch = [];
            if (_closed is null)
            {
                _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _log.LogDebug("Sentinel service {Service}: writes wait until the primary is confirmed ({Why})", _service, why);
            }

            if (!_confirming)
            {
                _confirming = true;
                _ = Task.Run(ConfirmLoopAsync);
            }
            else if (_nudge.CurrentCount == 0)
            {
                try
                {
                    _nudge.Release();
                }
                catch (SemaphoreFullException)
                {
                }
            }
        }
    }

    private async Task ConfirmLoopAsync()
    {
        while (true)
        {
            long generation;
            lock (_lock)
            {
                generation = _generation;
            }

            (EndPoint? Primary, IServer[] Watch, string? Why) outcome;
            try
            {
                outcome = await TryConfirmAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException or ArgumentException)
            {
                outcome = (null, [], e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_lock)
            {
                if (_stop.IsCancellationRequested)
                {
                    _confirming = false;
                    return;
                }

                if (outcome.Why is null && generation == _generation)
                {
                    Primary = outcome.Primary;
                    _watch = outcome.Watch;
                    var closed = _closed;
                    _closed = null;
                    _confirming = false;
                    _lastWhy = null;
                    closed?.TrySetResult();
                    _log.LogDebug("Sentinel service {Service}: primary {Primary} confirmed by Sentinel and ROLE; writes go on", _service, outcome.Primary);
                    return;
                }

                _lastWhy = outcome.Why ?? _lastWhy;
            }

            if (outcome.Why is null)
            {
                // Confirmed, but something happened meanwhile: confirm again at once.
                continue;
            }

            try
            {
                await _nudge.WaitAsync(Poll, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    _confirming = false;
                }

                return;
            }
        }
    }

    /// <summary>One attempt: the primary and the instances to watch, or why not (yet).</summary>
    private async Task<(EndPoint? Primary, IServer[] Watch, string? Why)> TryConfirmAsync(CancellationToken cancellationToken)
    {
        var ask = TimeSpan.FromMilliseconds(Math.Max(500, _data.TimeoutMilliseconds));
        var answers = await Task.WhenAll(_sentinels.GetServers().Where(s => s.IsConnected).Select(async s =>
        {
            try
            {
                return await s.SentinelGetMasterAddressByNameAsync(_service).WaitAsync(ask, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        var named = answers.OfType<EndPoint>().GroupBy(Key).OrderByDescending(g => g.Count()).FirstOrDefault();
        if (named is null || named.Count() * 2 <= _sentinelCount)
        {
            return (null, [], $"no majority of the {_sentinelCount} Sentinels names a primary of '{_service}'");
        }

        var primary = named.First();
        var servers = _data.GetServers();
        var p = servers.FirstOrDefault(s => Key(s.EndPoint) == named.Key);
        if (p is null || !p.IsConnected)
        {
            // The client follows Sentinel's answer by itself (its +switch-master subscription and reconnection timer).
            return (null, [], $"not connected yet to {named.Key}, the primary Sentinel names");
        }

        var stale = false;
        foreach (var s in servers.Where(s => s.IsConnected))
        {
            var role = await s.RoleAsync().WaitAsync(ask, cancellationToken).ConfigureAwait(false);
            if (s == p || Key(s.EndPoint) == named.Key)
            {
                if (role is not Role.Master)
                {
                    return (null, [], $"{named.Key}, named by Sentinel, answers ROLE {role?.Value}");
                }

                stale |= s.IsReplica;
            }
            else if (role is Role.Master)
            {
                return (null, [], $"{s.EndPoint} also answers ROLE master (not yet demoted by Sentinel)");
            }
            else
            {
                stale |= !s.IsReplica;
            }
        }

        if (stale)
        {
            // The client's view of who is a replica is older than ROLE's answers: refresh it, then check again.
            await _data.ConfigureAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return (null, [], "the client's view of the roles was out of date");
        }

        return (primary, [.. servers.Where(s => !s.IsConnected)], null);
    }

    private static string Key(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "",
    };

    public async ValueTask DisposeAsync()
    {
        _data.ConnectionFailed -= OnConnectionEvent;
        _data.ConnectionRestored -= OnConnectionEvent;
        _data.ConfigurationChanged -= OnConfigurationChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        _closed?.TrySetException(new ObjectDisposedException(nameof(PrimaryGate)));
        await _sentinels.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        _sentinels.Dispose();
    }
}
