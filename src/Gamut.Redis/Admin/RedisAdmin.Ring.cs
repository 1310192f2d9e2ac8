using Gamut.Redis.Connection;
using Gamut.Redis.Ring;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>A ring's status summed over its instances, and changes of its membership (<c>gamut ring</c>).</summary>
public sealed partial class RedisAdmin
{
    private IRedisDeployment? _deployment;

    private RedisAdmin(IRedisDeployment deployment)
        : this(deployment.Instances[0]) => _deployment = deployment;

    /// <summary>The ring's topology in use, or null when this is one Redis (a lone instance, a Sentinel service, a Cluster).</summary>
    public RingTopology? Ring => _deployment?.Ring?.Topology;

    /// <summary>
    /// Adds an instance to the ring: it takes its share of new jobs at once (existing jobs stay where they are), and
    /// every client and worker learns of it through the announcement or its next check. One instance that is not a
    /// ring yet becomes a ring of two.
    /// </summary>
    /// <param name="instance">The instance: <c>host:port</c> or a URL.</param>
    /// <param name="cancellationToken">Stops the change.</param>
    /// <returns>The new topology.</returns>
    /// <exception cref="ArgumentException">It is already a member, or malformed.</exception>
    /// <exception cref="InvalidOperationException">This is a Redis Cluster or a Sentinel service, not a ring.</exception>
    public async Task<RingTopology> AddInstanceAsync(string instance, CancellationToken cancellationToken = default)
    {
        var member = RingMember.Normalize(instance);
        var ring = await RingOrNewAsync(cancellationToken).ConfigureAwait(false);
        return await ring.ChangeAsync(t => t.WithMember(member), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes an instance from the ring. With <paramref name="drain"/> (the default) it takes no new job but its jobs
    /// still run; it leaves the topology once it holds none. Without, it leaves at once: jobs still on it are no longer
    /// served (use this for an instance that is gone for good).
    /// </summary>
    /// <param name="instance">The instance: <c>host:port</c> or a URL.</param>
    /// <param name="drain">Keep serving its jobs until it is empty.</param>
    /// <param name="cancellationToken">Stops the change.</param>
    /// <returns>The new topology.</returns>
    /// <exception cref="ArgumentException">It is not in the ring, or it is the last member.</exception>
    /// <exception cref="InvalidOperationException">This is one Redis, not a ring.</exception>
    public async Task<RingTopology> RemoveInstanceAsync(string instance, bool drain = true, CancellationToken cancellationToken = default)
    {
        var member = RingMember.Normalize(instance);
        var ring = _deployment?.Ring ?? throw new InvalidOperationException("This is one Redis, not a ring: there is nothing to remove");
        return await ring.ChangeAsync(t => t.WithoutMember(member, drain), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Each instance of the ring (and each that left it but still answers) with the topology version it holds.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<(string Instance, bool Answers, long? Version)>> GetRingVersionsAsync(CancellationToken cancellationToken = default)
    {
        var ring = _deployment?.Ring ?? throw new InvalidOperationException("This is one Redis, not a ring");
        var list = new List<(string, bool, long?)>();
        foreach (var c in ring.Known)
        {
            list.Add((c.Member!, c.IsLive, c.IsLive ? await VersionAsync(c, cancellationToken).ConfigureAwait(false) : null));
        }

        return list;
    }

    private async Task<RedisRing> RingOrNewAsync(CancellationToken cancellationToken)
    {
        if (_deployment?.Ring is { } ring)
        {
            return ring;
        }

        var single = (SingleDeployment)_deployment!;
        var c = single.Connection;
        if (c.Options.Seeds.Any(s => s.ServiceName is not null) || c.Multiplexer.GetServers().Any(s => s.ServerType == ServerType.Cluster))
        {
            throw new InvalidOperationException("This is a Redis Cluster or a Sentinel service: it spreads and fails over by itself, and cannot be part of a ring");
        }

        // One instance becomes a ring of one (stored in it), then the ring is connected as any client would.
        var self = RingMember.Of(c.Multiplexer.GetEndPoints()[0]);
        await RingStore.WriteAsync(c.Database, c.Options.KeyPrefix, self, RingTopology.Create([self], c.Options.Ring.VirtualNodes), cancellationToken).ConfigureAwait(false);
        var options = c.Options;
        await single.DisposeAsync().ConfigureAwait(false);
        _deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return _deployment.Ring ?? throw new InvalidOperationException("The instance did not keep the ring it was given");
    }

    private async Task<RedisStatus> GetRingStatusAsync(RedisRing ring, CancellationToken cancellationToken)
    {
        // An operator looking is a good moment to let an emptied draining instance go (workers do it too).
        await ring.FinishDrainsAsync(cancellationToken).ConfigureAwait(false);
        var topology = ring.Topology;
        var shares = topology.Ring.Shares();
        var instances = new List<InstanceStatus>();
        var parts = new List<RedisStatus>();
        var unreachable = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in ring.Instances)
        {
            var member = c.Member!;
            var state = topology.Members.Contains(member, StringComparer.Ordinal) ? "member" : "draining";
            var share = shares.GetValueOrDefault(member);
            if (c.IsLive)
            {
                try
                {
                    var part = await new RedisAdmin(c) { _scanInFlight = _scanInFlight }.GetInstanceStatusAsync(cancellationToken).ConfigureAwait(false);
                    parts.Add(part);
                    instances.Add(new InstanceStatus
                    {
                        Instance = member,
                        State = state,
                        Answers = true,
                        Version = await VersionAsync(c, cancellationToken).ConfigureAwait(false),
                        Share = share,
                        Ready = part.Queues.Sum(q => q.Ready),
                        Delayed = part.Queues.Sum(q => q.Delayed),
                        Running = part.Queues.Sum(q => q.Running + q.Stuck),
                        Pending = part.Queues.Sum(q => q.Pending),
                    });
                    continue;
                }
                catch (Exception e) when (RedisFailures.IsTransient(e))
                {
                    c.MarkSuspect();
                }
            }

            // It does not answer: its pending jobs are known from the pending index another member keeps.
            var byQueue = (await ring.Pending.ReadAsync(member, cancellationToken).ConfigureAwait(false))
                .GroupBy(e => e[..Math.Max(0, e.IndexOf(' '))], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            foreach (var (queue, n) in byQueue)
            {
                unreachable[queue] = unreachable.GetValueOrDefault(queue) + n;
            }

            instances.Add(new InstanceStatus { Instance = member, State = state, Answers = false, Share = share, Pending = byQueue.Values.Sum(), PendingByQueue = byQueue });
        }

        var lost = await LostAsync(ring, cancellationToken).ConfigureAwait(false);
        var queues = parts.SelectMany(p => p.Queues).Concat(unreachable.Keys.Concat(lost.Keys).Select(q => new QueueStatus { Name = q }))
            .GroupBy(q => q.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Sum(g.Key, [.. g], unreachable.GetValueOrDefault(g.Key)) with { Lost = lost.GetValueOrDefault(g.Key) })
            .ToList();
        var workers = parts.SelectMany(p => p.Workers)
            .GroupBy(w => w.Id, StringComparer.Ordinal)
            .Select(g => g.First() with
            {
                Alive = g.Any(w => w.Alive),
                LastSeen = g.Max(w => w.LastSeen),
                Info = g.FirstOrDefault(w => w.Info is not null)?.Info,
                CurrentJobs = [.. g.SelectMany(w => w.CurrentJobs)],
            })
            .OrderBy(w => w.Id, StringComparer.Ordinal)
            .ToList();
        return new RedisStatus(queues, workers)
        {
            Instances = instances,
            Ring = topology,
            BrokenKeys = [.. parts.SelectMany(p => p.BrokenKeys)],
            Deployment = RedisDeployment.OfRing([.. instances.Select(i => i.Instance)], topology.Version, instances.Count(i => i.Answers)),
        };
    }

    /// <summary>
    /// Jobs that had not ended on instances removed at once: their pending-index entries outlive the removal in the
    /// members that witnessed them (nobody removes them, since no worker serves a non-member), counted by queue.
    /// </summary>
    private static async Task<Dictionary<string, long>> LostAsync(RedisRing ring, CancellationToken cancellationToken)
    {
        var served = ring.Topology.Served.ToHashSet(StringComparer.Ordinal);
        var prefix = ring.Pending.Key("").ToString();
        var entries = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in ring.Instances.Where(c => c.IsLive))
        {
            try
            {
                await foreach (var key in KeyScan.ScanAsync(c, prefix + "*", 100, cancellationToken).ConfigureAwait(false))
                {
                    var member = key[prefix.Length..];
                    if (served.Contains(member))
                    {
                        continue;
                    }

                    foreach (var v in await c.Database.SetMembersAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false))
                    {
                        entries.Add(member + " " + (string)v!);
                    }
                }
            }
            catch (Exception e) when (RedisFailures.IsTransient(e) || e is RedisServerException)
            {
                c.MarkSuspect();
            }
        }

        // Entry: "member queue id".
        return entries.Select(e => e.Split(' ')).Where(p => p.Length == 3)
            .GroupBy(p => p[1], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
    }

    private async Task<IReadOnlyList<string>> GetRingDeadLettersAsync(string queue, int count, CancellationToken cancellationToken)
    {
        var all = new List<string>();
        foreach (var c in _deployment!.Instances.Where(c => c.IsLive))
        {
            all.AddRange((await c.Database.ListRangeAsync(c.Queue(queue).Dead, 0, count - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!));
        }

        return all.Count <= count ? all : all[..count];
    }

    private async Task<long?> VersionAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        var v = await c.Database.HashGetAsync(RingStore.Key(c.Options.KeyPrefix), "v").WaitAsync(cancellationToken).ConfigureAwait(false);
        return v.IsNullOrEmpty ? null : (long)v;
    }

    private static QueueStatus Sum(string name, QueueStatus[] parts, long unreachable) => new()
    {
        Name = name,
        Ready = parts.Sum(q => q.Ready),
        Delayed = parts.Sum(q => q.Delayed),
        Running = parts.Sum(q => q.Running),
        Stuck = parts.Sum(q => q.Stuck),
        Pending = parts.Sum(q => q.Pending) + unreachable,
        Unreachable = unreachable,
        DeadLetters = parts.Sum(q => q.DeadLetters),
        Enqueued = parts.Sum(q => q.Enqueued),
        Succeeded = parts.Sum(q => q.Succeeded),
        Failed = parts.Sum(q => q.Failed),
        DeadLettered = parts.Sum(q => q.DeadLettered),
        DeadTrimmed = parts.Sum(q => q.DeadTrimmed),
        Duplicates = parts.Sum(q => q.Duplicates),
        Retried = parts.Sum(q => q.Retried),
        Reaped = parts.Sum(q => q.Reaped),
        Cancelled = parts.Sum(q => q.Cancelled),
        Workflows = parts.Sum(q => q.Workflows),
        Paused = parts.Any(q => q.Paused),
    };
}
