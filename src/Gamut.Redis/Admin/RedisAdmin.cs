using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Reads an application's state for operators: queue depths and counters, workers and their jobs, dead letters.</summary>
public sealed class RedisAdmin : IAsyncDisposable
{
    private readonly RedisConnection _connection;

    private RedisAdmin(RedisConnection connection) => _connection = connection;

    /// <summary>Connects (with the start-up checks).</summary>
    /// <param name="options">Where Redis is and the application's key prefix.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    public static async Task<RedisAdmin> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default) =>
        new(await RedisConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the status of every known queue and worker.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<RedisStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var db = _connection.Database;
        var names = (await db.SetMembersAsync(_connection.Global.Queues).WaitAsync(cancellationToken).ConfigureAwait(false))
            .Select(v => (string)v!).Where(Keys.KeyNames.IsValidQueue).Order(StringComparer.Ordinal).ToList();
        var queues = new List<QueueStatus>();
        var current = new Dictionary<string, List<JobHandle>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var q = _connection.Queue(name);
            var stats = (await db.HashGetAllAsync(q.Stats).ConfigureAwait(false)).ToDictionary(e => (string)e.Name!, e => (long)e.Value, StringComparer.Ordinal);
            long Stat(string field) => stats.TryGetValue(field, out var v) ? v : 0;
            long running = 0;
            foreach (var worker in await db.SetMembersAsync(q.Workers).ConfigureAwait(false))
            {
                var ids = await db.ListRangeAsync(q.Active((string)worker!)).ConfigureAwait(false);
                running += ids.Length;
                if (!current.TryGetValue((string)worker!, out var list))
                {
                    current[(string)worker!] = list = [];
                }

                list.AddRange(ids.Select(id => new JobHandle(name, (string)id!)));
            }

            queues.Add(new QueueStatus
            {
                Name = name,
                Ready = await db.ListLengthAsync(q.Ready).ConfigureAwait(false),
                Delayed = await db.SortedSetLengthAsync(q.Delayed).ConfigureAwait(false),
                Running = running,
                DeadLetters = await db.ListLengthAsync(q.Dead).ConfigureAwait(false),
                Enqueued = Stat("enqueued"),
                Succeeded = Stat("succeeded"),
                Failed = Stat("failed"),
                DeadLettered = Stat("dead"),
                DeadTrimmed = Stat("deadTrimmed"),
                Duplicates = Stat("duplicates"),
                Retried = Stat("retried"),
                Reaped = Stat("reaped"),
                Cancelled = Stat("cancelled"),
            });
        }

        var workers = new List<WorkerStatus>();
        foreach (var entry in await db.SortedSetRangeByRankWithScoresAsync(_connection.Global.Workers).ConfigureAwait(false))
        {
            var id = (string)entry.Element!;
            var info = await db.HashGetAsync(_connection.Global.WorkerInfo(id), "info").ConfigureAwait(false);
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
        await db.SortedSetRemoveRangeByScoreAsync(_connection.Global.Workers, double.NegativeInfinity, cutoff).ConfigureAwait(false);
        return new RedisStatus(queues, workers);
    }

    /// <summary>Reads the newest dead-letter entries of a queue (JSON objects, docs/redis-protocol.md).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="count">How many, newest first.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<string>> GetDeadLettersAsync(string queue, int count = 20, CancellationToken cancellationToken = default)
    {
        Keys.KeyNames.ValidateQueue(queue);
        var values = await _connection.Database.ListRangeAsync(_connection.Queue(queue).Dead, 0, count - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. values.Select(v => (string)v!)];
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
