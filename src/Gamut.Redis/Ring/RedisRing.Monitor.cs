using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Ring;

/// <summary>Health pings, topology checks, repair of instances that missed a change, and the end of a drain.</summary>
internal sealed partial class RedisRing
{
    private readonly SemaphoreSlim _checkNow = new(0, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RedisConnection, byte> _subscribed = new();
    private readonly Dictionary<RedisConnection, bool> _lastLive = [];
    private readonly HashSet<RedisConnection> _refused = [];
    private Task? _monitor;

    /// <summary>Reads every reachable instance's topology now (rather than at the next check), and adopts the newest.</summary>
    public void CheckSoon()
    {
        try
        {
            if (_checkNow.CurrentCount == 0)
            {
                _checkNow.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>
    /// Changes the ring: reads the newest topology from every reachable instance, applies <paramref name="change"/>,
    /// writes the result to every reachable instance (old and new members) and announces it. Returns the new topology.
    /// </summary>
    /// <exception cref="ArgumentException">The change does not apply (e.g. adding a member twice).</exception>
    public async Task<RingTopology> ChangeAsync(Func<RingTopology, RingTopology> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await CheckTopologyAsync(cancellationToken).ConfigureAwait(false);
            var next = change(_topology);
            await AdoptAsync(next, cancellationToken).ConfigureAwait(false);
            var lost = false;
            foreach (var c in _connections.Values.Where(c => c.IsLive))
            {
                var other = await RingStore.WriteAsync(c.Database, Options.KeyPrefix, c.Member!, next, cancellationToken).ConfigureAwait(false);
                if (other is not null)
                {
                    // Someone else changed the ring at the same time and won: apply ours on top of theirs.
                    lost = true;
                    await AdoptAsync(other, cancellationToken).ConfigureAwait(false);
                    break;
                }

                await RingStore.PublishAsync(c.Subscriber, Options.KeyPrefix, next).ConfigureAwait(false);
            }

            if (!lost)
            {
                return next;
            }

            if (attempt >= 5)
            {
                throw new InvalidOperationException("The ring kept changing under this change; try again");
            }
        }
    }

    private async Task MonitorLoopAsync()
    {
        var stop = _stop.Token;
        var lastCheck = Environment.TickCount64;
        while (!stop.IsCancellationRequested)
        {
            var asked = false;
            try
            {
                asked = await _checkNow.WaitAsync(Options.Ring.HealthInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await HealthPassAsync(stop).ConfigureAwait(false);
                if (asked || Environment.TickCount64 - lastCheck >= (long)Options.Ring.CheckInterval.TotalMilliseconds)
                {
                    lastCheck = Environment.TickCount64;
                    await CheckTopologyAsync(stop).ConfigureAwait(false);
                    await FinishDrainsAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException or FormatException or ArgumentException)
            {
                Logger.LogDebug(e, "Ring check failed; trying again");
            }
        }
    }

    /// <summary>Pings every known instance; an instance that answers again is checked (once) and resubscribed.</summary>
    private async Task HealthPassAsync(CancellationToken cancellationToken)
    {
        var all = _connections.Values.ToArray();
        await Task.WhenAll(all.Select(c => PingAsync(c, cancellationToken))).ConfigureAwait(false);
        foreach (var c in all)
        {
            var live = c.IsLive;
            if (live && !_subscribed.ContainsKey(c))
            {
                await SubscribeAsync(c).ConfigureAwait(false);
            }

            if (!_lastLive.TryGetValue(c, out var was))
            {
                // First sight: whether it answered at start was said then.
                _lastLive[c] = live;
            }
            else if (was != live)
            {
                _lastLive[c] = live;
                if (_instances.Contains(c))
                {
                    if (live)
                    {
                        Logger.LogWarning("Ring instance {Member} answers again", c.Member);
                    }
                    else
                    {
                        Logger.LogWarning("Ring instance {Member} does not answer: new jobs go to the next instances; its jobs wait for it", c.Member);
                    }

                    LivenessChanged?.Invoke(c, live);
                }
            }
        }
    }

    private async Task PingAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        try
        {
            await c.Database.PingAsync().WaitAsync(Options.Ring.InstanceTimeout, cancellationToken).ConfigureAwait(false);
            c.MarkAnswering();
            if (!c.Checked && !_refused.Contains(c))
            {
                try
                {
                    await c.CheckAsync(cancellationToken).ConfigureAwait(false);
                    Logger.LogInformation("Ring instance {Member} is up and passed the start-up checks", c.Member);
                }
                catch (RedisStartupException e)
                {
                    // Fail closed for this instance only: it stays out of use, and says why once.
                    _refused.Add(c);
                    Logger.LogError("Ring instance {Member} is not used: {Error}", c.Member, e.Message);
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            c.MarkSuspect();
        }
    }

    private async Task SubscribeAsync(RedisConnection c)
    {
        try
        {
            await c.Subscriber.SubscribeAsync(RingStore.Channel(Options.KeyPrefix), (_, version) =>
            {
                if (!version.TryParse(out long v) || v >= _topology.Version)
                {
                    CheckSoon();
                }
            }).ConfigureAwait(false);
            _subscribed[c] = 0;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Subscribed at the next health pass that finds it answering.
        }
    }

    /// <summary>Reads the topology of every instance that answers, adopts the newest, and writes it to those that hold an older one.</summary>
    private async Task CheckTopologyAsync(CancellationToken cancellationToken)
    {
        var live = _connections.Values.Where(c => c.IsLive).ToList();
        var stored = await ReadAllAsync(live, cancellationToken).ConfigureAwait(false);
        var newest = _topology;
        foreach (var (_, t) in stored)
        {
            if (t is not null && t.Supersedes(newest))
            {
                newest = t;
            }
        }

        await AdoptAsync(newest, cancellationToken).ConfigureAwait(false);
        foreach (var (c, t) in stored)
        {
            if (!newest.SameAs(t))
            {
                var other = await RingStore.WriteAsync(c.Database, Options.KeyPrefix, c.Member!, newest, cancellationToken).ConfigureAwait(false);
                if (other is null)
                {
                    Logger.LogInformation("Ring instance {Member} had {Old}; repaired to version {Version}", c.Member, t is null ? "no topology" : $"version {t.Version}", newest.Version);
                    await RingStore.PublishAsync(c.Subscriber, Options.KeyPrefix, newest).ConfigureAwait(false);
                }
                else
                {
                    CheckSoon();
                }
            }
        }
    }

    /// <summary>A draining instance that holds no job any more (and takes no new one) leaves the ring.</summary>
    internal async Task FinishDrainsAsync(CancellationToken cancellationToken)
    {
        foreach (var member in _topology.Draining)
        {
            if (_connections.GetValueOrDefault(member) is not { IsLive: true } c
                || await RingStore.StateAsync(c.Database, Options.KeyPrefix, cancellationToken).ConfigureAwait(false) != "draining"
                || !await RingCensus.IsEmptyAsync(c, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var current = _topology;
            if (!current.Draining.Contains(member, StringComparer.Ordinal))
            {
                continue;
            }

            Logger.LogInformation("Ring instance {Member} is drained: it leaves the ring", member);
            await ChangeAsync(t => t.Draining.Contains(member, StringComparer.Ordinal) ? t.WithoutMember(member) : t, cancellationToken).ConfigureAwait(false);
        }
    }
}
