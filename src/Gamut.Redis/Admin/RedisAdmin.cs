using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Reads an application's state for operators: queue depths and counters, workers and their jobs, dead letters.</summary>
public sealed partial class RedisAdmin : IAsyncDisposable
{
    private readonly RedisConnection _connection;

    /// <summary>Whether status reads also SCAN for in-flight lists of workers that never registered (off for a dashboard's frequent polls).</summary>
    private bool _scanInFlight = true;

    private RedisAdmin(RedisConnection connection) => _connection = connection;

    /// <summary>
    /// This admin, reading status without the SCAN for in-flight lists of unregistered workers: cheap enough to poll
    /// every second with millions of keys (only registered workers' lists are read; <c>gamut status</c> does the SCAN).
    /// </summary>
    public RedisAdmin WithoutKeyScans()
    {
        _scanInFlight = false;
        return this;
    }

    /// <summary>Connects (with the start-up checks): to one Redis, a Cluster, a Sentinel service, or a whole ring.</summary>
    /// <param name="options">Where Redis is and the application's key prefix.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    public static async Task<RedisAdmin> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default) =>
        new(await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the status of every known queue and worker (on a ring: summed over its instances, with each instance's own).</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public Task<RedisStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        _deployment?.Ring is { } ring ? GetRingStatusAsync(ring, cancellationToken) : GetInstanceStatusAsync(cancellationToken);

    /// <summary>Reads the status of the queues and workers of the one instance this admin reads.</summary>
    private async Task<RedisStatus> GetInstanceStatusAsync(CancellationToken cancellationToken)
    {
        var db = _connection.Database;
        var broken = new List<BrokenKey>();

        // A key of the wrong type (another client wrote it) is reported and read as empty; the rest is read as usual.
        async Task<T> Read<T>(RedisKey key, string expected, Func<Task<T>> read, T empty)
        {
            try
            {
                return await read().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
            {
                var type = await db.KeyTypeAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
                broken.Add(new BrokenKey(key.ToString(), KeyTypes.Name(type), expected));
                return empty;
            }
        }

        var names = (await Read(_connection.Global.Queues, "set", () => db.SetMembersAsync(_connection.Global.Queues), []).ConfigureAwait(false))
            .Select(v => (string)v!).Where(Keys.KeyNames.IsValidQueue).Order(StringComparer.Ordinal).ToList();
        var queues = new List<QueueStatus>();
        var current = new Dictionary<string, List<JobHandle>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var q = _connection.Queue(name);
            var stats = (await Read(q.Stats, "hash", () => db.HashGetAllAsync(q.Stats), []).ConfigureAwait(false))
                .ToDictionary(e => (string)e.Name!, e => e.Value.TryParse(out long n) ? n : 0, StringComparer.Ordinal);
            long Stat(string field) => stats.TryGetValue(field, out var v) ? v : 0;
            long running = 0, stuck = 0;
            var registered = await Read(q.Workers, "set", () => db.SetMembersAsync(q.Workers), []).ConfigureAwait(false);
            foreach (var worker in await InFlightListsAsync(q, registered, cancellationToken).ConfigureAwait(false))
            {
                var ids = await Read(q.Active(worker), "list", () => db.ListRangeAsync(q.Active(worker)), []).ConfigureAwait(false);
                if (ids.Length == 0)
                {
                    continue;
                }

                // Held by a worker whose heartbeat lapsed: the reaper returns these within a few beats. A count that
                // stays is a problem (no live worker serves the queue, or Redis refuses the reaper's writes).
                if (await db.KeyExistsAsync(q.Heartbeat(worker)).ConfigureAwait(false))
                {
                    running += ids.Length;
                }
                else
                {
                    stuck += ids.Length;
                }

                if (!current.TryGetValue(worker, out var list))
                {
                    current[worker] = list = [];
                }

                list.AddRange(ids.Select(id => new JobHandle(name, (string)id!)));
            }

            var ready = await Read(q.Ready, "list", () => db.ListLengthAsync(q.Ready), 0).ConfigureAwait(false);
            var delayed = await Read(q.Delayed, "zset", () => db.SortedSetLengthAsync(q.Delayed), 0).ConfigureAwait(false);
            queues.Add(new QueueStatus
            {
                Name = name,
                Ready = ready,
                Delayed = delayed,
                Running = running,
                Stuck = stuck,
                Pending = ready + delayed + running + stuck,
                DeadLetters = await Read(q.Dead, "list", () => db.ListLengthAsync(q.Dead), 0).ConfigureAwait(false),
                Enqueued = Stat("enqueued"),
                Succeeded = Stat("succeeded"),
                Failed = Stat("failed"),
                DeadLettered = Stat("dead"),
                DeadTrimmed = Stat("deadTrimmed"),
                Duplicates = Stat("duplicates"),
                Retried = Stat("retried"),
                Reaped = Stat("reaped"),
                Cancelled = Stat("cancelled"),
                Paused = await db.KeyExistsAsync(q.Paused).ConfigureAwait(false),
                Workflows = await Read(q.Workflows, "set", () => db.SetLengthAsync(q.Workflows), 0).ConfigureAwait(false),
            });
        }

        var workers = new List<WorkerStatus>();
        var seen = await Read(_connection.Global.Workers, "zset", () => db.SortedSetRangeByRankWithScoresAsync(_connection.Global.Workers), []).ConfigureAwait(false);
        foreach (var entry in seen)
        {
            var id = (string)entry.Element!;
            var info = await Read(_connection.Global.WorkerInfo(id), "hash", () => db.HashGetAsync(_connection.Global.WorkerInfo(id), "info"), RedisValue.Null).ConfigureAwait(false);
            workers.Add(new WorkerStatus
            {
                Id = id,
                Alive = !info.IsNull,
                LastSeen = DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Score),
                Info = (string?)info,
                CurrentJobs = current.TryGetValue(id, out var jobs) ? jobs : [],
            });
        }

        // Drop long-dead workers from the list (the reaper already took their jobs).
        var cutoff = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        if (!broken.Any(b => b.Key == _connection.Global.Workers.ToString()))
        {
            await db.SortedSetRemoveRangeByScoreAsync(_connection.Global.Workers, double.NegativeInfinity, cutoff).ConfigureAwait(false);
        }

        return new RedisStatus(queues, workers) { BrokenKeys = broken, Deployment = RedisDeployment.Of(_connection) };
    }

    /// <summary>Every worker with an in-flight list on the queue: those registered, and any list left by a worker that never was (found by SCAN).</summary>
    private async Task<SortedSet<string>> InFlightListsAsync(Keys.QueueKeys q, RedisValue[] registered, CancellationToken cancellationToken)
    {
        var workers = new SortedSet<string>(registered.Select(v => (string)v!), StringComparer.Ordinal);
        if (!_scanInFlight)
        {
            return workers;
        }

        await foreach (var key in KeyScan.ScanAsync(_connection, q.ActivePrefix + "*", 1000, cancellationToken).ConfigureAwait(false))
        {
            workers.Add(key[q.ActivePrefix.Length..]);
        }

        return workers;
    }

    /// <summary>Reads the newest dead-letter entries of a queue (JSON objects, docs/redis-protocol.md).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="count">How many, newest first.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<string>> GetDeadLettersAsync(string queue, int count = 20, CancellationToken cancellationToken = default)
    {
        Keys.KeyNames.ValidateQueue(queue);
        if (_deployment?.Ring is not null)
        {
            return await GetRingDeadLettersAsync(queue, count, cancellationToken).ConfigureAwait(false);
        }

        var values = await _connection.Database.ListRangeAsync(_connection.Queue(queue).Dead, 0, count - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. values.Select(v => (string)v!)];
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _deployment?.DisposeAsync() ?? _connection.DisposeAsync();
}
