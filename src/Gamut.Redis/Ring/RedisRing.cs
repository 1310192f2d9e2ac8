using System.Collections.Concurrent;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gamut.Redis.Ring;

/// <summary>
/// A ring of independent Redis instances as one client or worker sees it: a connection to every instance (short
/// timeouts, failing fast while disconnected), which ones answer, and the current topology — read from any reachable
/// instance at start, followed through change announcements and periodic version checks, and written back to any
/// instance that missed a change.
/// </summary>
internal sealed partial class RedisRing : IRedisDeployment
{
    private readonly ConcurrentDictionary<string, RedisConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConfigurationOptions> _seedConfigs;
    private readonly ConfigurationOptions _template;
    private readonly SemaphoreSlim _adopting = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private volatile RingTopology _topology;
    private volatile RedisConnection[] _instances = [];
    private PendingIndex? _pending;

    private RedisRing(RedisOptions options, IReadOnlyList<(string Member, ConfigurationOptions Config)> seeds, RingTopology topology)
    {
        Options = options;
        Logger = options.Logger ?? NullLogger.Instance;
        Global = new GlobalKeys(options.KeyPrefix);
        _seedConfigs = seeds.ToDictionary(s => s.Member, s => s.Config, StringComparer.Ordinal);
        _template = seeds[0].Config;
        _topology = topology;
    }

    public RedisOptions Options { get; }

    public GlobalKeys Global { get; }

    public ILogger Logger { get; }

    RedisRing? IRedisDeployment.Ring => this;

    /// <summary>The topology in use.</summary>
    public RingTopology Topology => _topology;

    public IReadOnlyList<RedisConnection> Instances => _instances;

    /// <summary>Every instance this ring has a connection to: those that hold jobs, and those that left but were reached.</summary>
    public IReadOnlyList<RedisConnection> Known => [.. _connections.Values.OrderBy(c => c.Member, StringComparer.Ordinal)];

    /// <summary>Raised after a new topology was adopted.</summary>
    public event Action<RingTopology>? TopologyChanged;

    /// <summary>Raised when an instance stops or starts answering (true: it answers again).</summary>
    public event Action<RedisConnection, bool>? LivenessChanged;

    public event Action<RedisConnection>? InstanceAdded;

    /// <summary>The jobs each member holds that have not ended, kept by another member.</summary>
    public PendingIndex Pending => _pending ??= new PendingIndex(this);

    /// <summary>
    /// An instance refused a new job (it is not a member in the topology it holds): adopt its topology if it is
    /// newer, or give it ours (it missed a change).
    /// </summary>
    public async Task ReconcileWithAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        var stored = await RingStore.ReadAsync(c.Database, Options.KeyPrefix, cancellationToken).ConfigureAwait(false);
        if (stored is not null && stored.Supersedes(_topology))
        {
            await AdoptAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        else if (!_topology.SameAs(stored))
        {
            await RingStore.WriteAsync(c.Database, Options.KeyPrefix, c.Member!, _topology, cancellationToken).ConfigureAwait(false);
        }

        CheckSoon();
    }

    /// <summary>The connection to <paramref name="member"/>, if this ring has one.</summary>
    public RedisConnection? Connection(string member) => _connections.GetValueOrDefault(member);

    public IReadOnlyList<RedisConnection> CandidatesFor(string jobId)
    {
        var list = new List<RedisConnection>(2);
        foreach (var member in _topology.Ring.Successors(jobId))
        {
            if (_connections.TryGetValue(member, out var c) && c.IsLive)
            {
                list.Add(c);
            }
        }

        return list;
    }

    public IReadOnlyList<RedisConnection> SearchOrder(string jobId)
    {
        var topology = _topology;
        var order = topology.Ring.Successors(jobId).Concat(topology.Draining)
            .Select(m => _connections.GetValueOrDefault(m)).OfType<RedisConnection>().ToList();

        // Instances that left the ring may still hold finished records: look there last.
        order.AddRange(_connections.Values.Where(c => !order.Contains(c)));
        return [.. order.Where(c => c.IsLive), .. order.Where(c => !c.IsLive)];
    }

    /// <summary>
    /// Starts from <paramref name="seeds"/>: any one that answers is enough. The newest topology stored in them is
    /// adopted; when none holds one, the seeds form a new ring (version 1). Every member is then connected (those
    /// that do not answer are retried in the background and used once they do).
    /// </summary>
    /// <exception cref="RedisStartupException">No seed answered; or one refused the credentials, TLS, or is unsafe to use.</exception>
    public static async Task<RedisRing> ConnectAsync(RedisOptions options, IReadOnlyList<(string Member, ConfigurationOptions Config)> seeds, IReadOnlyList<RedisConnection> opened, CancellationToken cancellationToken)
    {
        var ring = new RedisRing(options, seeds, RingTopology.Create(seeds.Select(s => s.Member), options.Ring.VirtualNodes));
        try
        {
            foreach (var c in opened)
            {
                ring._connections[c.Member!] = c;
            }

            await ring.BootstrapAsync(seeds, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ring.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return ring;
    }

    /// <summary>Opens connections to <paramref name="seeds"/> in parallel: checked ones for those that answer, background ones for the rest.</summary>
    /// <exception cref="RedisStartupException">A seed refused the credentials or TLS, lacks a permission, or is unsafe to use.</exception>
    public static async Task<RedisConnection[]> OpenSeedsAsync(RedisOptions options, IReadOnlyList<(string Member, ConfigurationOptions Config)> seeds, CancellationToken cancellationToken)
    {
        var opening = seeds.Select(s => OpenMemberAsync(options, MemberConfig(s.Config, s.Member, options.Ring), s.Member, cancellationToken)).ToArray();
        try
        {
            return await Task.WhenAll(opening).ConfigureAwait(false);
        }
        catch
        {
            foreach (var t in opening.Where(t => t.IsCompletedSuccessfully))
            {
                await t.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>A ring member's connection settings: the template's credentials and TLS, this member's host and port, short timeouts, fail fast while disconnected.</summary>
    public static ConfigurationOptions MemberConfig(ConfigurationOptions template, string member, RingOptions ring)
    {
        var config = template.Clone();
        var templateHost = template.EndPoints.Count > 0 ? RingMember.Split(RingMember.Of(template.EndPoints[0])).Host : null;
        var (host, port) = RingMember.Split(member);
        config.EndPoints.Clear();
        config.EndPoints.Add(host, port);
        if (config.Ssl && string.Equals(config.SslHost, templateHost, StringComparison.OrdinalIgnoreCase))
        {
            config.SslHost = host;
        }

        // Commands time out fast, so a frozen instance is noticed; a connection may take the URL's own connect
        // timeout, so a busy machine does not count as a dead instance at start (a refused connection fails at once).
        var ms = (int)ring.InstanceTimeout.TotalMilliseconds;
        config.ConnectTimeout = Math.Max(ms, template.ConnectTimeout);
        config.SyncTimeout = ms;
        config.AsyncTimeout = ms;
        config.ConnectRetry = 1;

        // A command for an instance that is down fails at once (and goes to the next one) instead of waiting in a backlog.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        return config;
    }

    private static async Task<RedisConnection> OpenMemberAsync(RedisOptions options, ConfigurationOptions config, string member, CancellationToken cancellationToken)
    {
        try
        {
            return await RedisConnection.ConnectAsync(options, config, member, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisStartupException e) when (e.Problem == RedisStartupProblem.Unreachable)
        {
            var log = options.Logger ?? NullLogger.Instance;
            log.LogWarning("Ring instance {Member} does not answer; carrying on without it until it does", member);
            log.LogDebug(e, "Connecting to ring instance {Member} failed", member);
            return await RedisConnection.OpenAsync(options, config, member, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task BootstrapAsync(IReadOnlyList<(string Member, ConfigurationOptions Config)> seeds, CancellationToken cancellationToken)
    {
        var live = _connections.Values.Where(c => c.IsLive).ToList();
        if (live.Count == 0)
        {
            throw new RedisStartupException(RedisStartupProblem.Unreachable, $"No instance of the ring answered: {string.Join(", ", seeds.Select(s => s.Member))} (one reachable instance is enough to start)");
        }

        RingTopology? newest = null;
        foreach (var (c, stored) in await ReadAllAsync(live, cancellationToken).ConfigureAwait(false))
        {
            if (stored is not null && stored.Supersedes(newest))
            {
                newest = stored;
            }
        }

        if (newest is null)
        {
            // No instance holds a ring yet: the instances given form version 1, written to every one that answers.
            newest = _topology;
            foreach (var c in live)
            {
                var other = await RingStore.WriteAsync(c.Database, Options.KeyPrefix, c.Member!, newest, cancellationToken).ConfigureAwait(false);
                if (other is not null && other.Supersedes(newest))
                {
                    newest = other;
                }
            }

            Logger.LogInformation("Created the ring {Topology}", newest);
        }

        var strangers = seeds.Select(s => s.Member).Where(m => !newest.Served.Contains(m, StringComparer.Ordinal)).ToList();
        if (strangers.Count > 0)
        {
            Logger.LogWarning("{Instances} given but not in the stored {Topology}; add them with 'gamut ring add'", string.Join(", ", strangers), newest);
        }

        await AdoptAsync(newest, cancellationToken).ConfigureAwait(false);
        _monitor = Task.Run(MonitorLoopAsync, CancellationToken.None);
    }

    /// <summary>Makes <paramref name="topology"/> current (if it supersedes the current one): connects new instances, announces the change.</summary>
    internal async Task AdoptAsync(RingTopology topology, CancellationToken cancellationToken)
    {
        await _adopting.WaitAsync(cancellationToken).ConfigureAwait(false);
        RingTopology? adopted = null;
        var added = new List<RedisConnection>();
        try
        {
            var initial = _instances.Length == 0;
            if (!initial && !topology.Supersedes(_topology))
            {
                return;
            }

            var missing = topology.Served.Where(m => !_connections.ContainsKey(m)).ToList();
            var opened = await Task.WhenAll(missing.Select(m => OpenMemberAsync(Options, MemberConfig(_seedConfigs.GetValueOrDefault(m) ?? _template, m, Options.Ring), m, cancellationToken))).ConfigureAwait(false);
            foreach (var c in opened)
            {
                _connections[c.Member!] = c;
            }

            var before = _instances;
            _topology = topology;
            _instances = [.. topology.Served.Select(m => _connections[m])];
            added.AddRange(_instances.Where(c => !before.Contains(c)));
            adopted = topology;
            if (!initial)
            {
                Logger.LogInformation("Adopted the ring {Topology}", topology);
            }
        }
        finally
        {
            _adopting.Release();
        }

        foreach (var c in added)
        {
            await SubscribeAsync(c).ConfigureAwait(false);
            InstanceAdded?.Invoke(c);
        }

        if (adopted is not null)
        {
            TopologyChanged?.Invoke(adopted);
        }
    }

    private async Task<List<(RedisConnection Connection, RingTopology? Stored)>> ReadAllAsync(IReadOnlyList<RedisConnection> connections, CancellationToken cancellationToken)
    {
        var reads = connections.Select(async c =>
        {
            try
            {
                return (c, await RingStore.ReadAsync(c.Database, Options.KeyPrefix, cancellationToken).ConfigureAwait(false), true);
            }
            catch (FormatException e)
            {
                Logger.LogWarning("The ring stored in {Member} is unreadable ({Error}); it will be overwritten", c.Member, e.Message);
                return (c, null, true);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                c.MarkSuspect();
                return (c, (RingTopology?)null, false);
            }
        });
        return [.. (await Task.WhenAll(reads).ConfigureAwait(false)).Where(r => r.Item3).Select(r => (r.c, r.Item2))];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_monitor is not null)
        {
            await _monitor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (var c in _connections.Values)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
