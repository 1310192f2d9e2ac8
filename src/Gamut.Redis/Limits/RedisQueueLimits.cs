using System.Globalization;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// Per-queue limits kept in Redis and enforced by the take script itself, so they hold across every worker on every
/// machine (docs/redis.md, "Rate limits"). A limit set or lowered applies to the next take of every worker; jobs
/// already running finish.
/// <code>
/// await using var limits = await RedisQueueLimits.ConnectAsync(RedisOptions.FromUrl("redis://127.0.0.1:6379"));
/// await limits.SetRateAsync("mail", new RateLimit(50, TimeSpan.FromSeconds(1)));
/// </code>
/// Limits need one Redis (a lone instance, a Sentinel-managed primary or a Cluster): on a ring each instance would
/// count only its own share, so a ring is refused.
/// </summary>
public sealed class RedisQueueLimits : IAsyncDisposable
{
    private readonly RedisConnection _connection;

    private RedisQueueLimits(RedisConnection connection) => _connection = connection;

    /// <summary>Connects (with the start-up checks).</summary>
    /// <param name="options">Where Redis is and the application's key prefix.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="RedisStartupException">Redis is unreachable or unsafe to use.</exception>
    /// <exception cref="ArgumentException">The options name a ring of instances (limits need one Redis).</exception>
    public static async Task<RedisQueueLimits> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default)
    {
        var deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        if (deployment.Ring is not null)
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw new ArgumentException("queue limits need one Redis (a lone instance, a Sentinel service or a Cluster): on a ring each instance would count only its share", nameof(options));
        }

        return new RedisQueueLimits(deployment.Instances[0]);
    }

    /// <summary>Sets (or replaces) the queue's rate limit; every worker's next take obeys it.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="limit">At most this many jobs start in any window of its period.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    /// <exception cref="RedisKeyTypeException">The limit's key holds another type (written by another client).</exception>
    public async Task SetRateAsync(string queue, RateLimit limit, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        ArgumentNullException.ThrowIfNull(limit);
        var q = _connection.Queue(queue);
        await ExpectHashAsync(q.RateLimit, cancellationToken).ConfigureAwait(false);
        // Listed with the application's queues (for status and dashboards), as a client does at its first enqueue.
        await _connection.Database.SetAddAsync(_connection.Global.Queues, queue).WaitAsync(cancellationToken).ConfigureAwait(false);
        // One command: both fields change at once, so a take never sees a new count with an old period.
        await _connection.Database.HashSetAsync(q.RateLimit, [new("n", limit.Count), new("ms", (long)limit.Period.TotalMilliseconds)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the queue's rate limit; returns false when it had none.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    public async Task<bool> ClearRateAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        var q = _connection.Queue(queue);
        // One DEL of both keys (same slot): the log goes with the limit, so a limit set later starts from an empty log.
        return await _connection.Database.KeyDeleteAsync([q.RateLimit, q.RateLog]).WaitAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>The queue's rate limit, or null when it has none (or its record is unreadable).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    /// <exception cref="RedisKeyTypeException">The limit's key holds another type (written by another client).</exception>
    public async Task<RateLimit?> GetRateAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        await ExpectHashAsync(_connection.Queue(queue).RateLimit, cancellationToken).ConfigureAwait(false);
        var f = await _connection.Database.HashGetAsync(_connection.Queue(queue).RateLimit, ["n", "ms"]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return int.TryParse((string?)f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= RateLimit.MaxCount
            && long.TryParse((string?)f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms >= 1 && ms <= (long)TimeSpan.FromDays(7).TotalMilliseconds
            ? new RateLimit(n, TimeSpan.FromMilliseconds(ms))
            : null;
    }

    /// <summary>The highest per-key limit.</summary>
    public const int MaxPerKey = 1_000_000;

    /// <summary>
    /// Sets (or replaces) the queue's per-key limit: at most <paramref name="max"/> jobs with the same
    /// <see cref="Executors.JobOptions.ConcurrencyKey"/> run at once, across every worker. Lowered while jobs run, the
    /// running ones finish and no job of a key starts until fewer than the new limit of that key run.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="max">1 to 1,000,000.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid or the limit is out of range.</exception>
    /// <exception cref="RedisKeyTypeException">The limit's key holds another type (written by another client).</exception>
    public async Task SetPerKeyAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, MaxPerKey);
        var q = _connection.Queue(queue);
        await ExpectHashAsync(q.Concurrency, cancellationToken).ConfigureAwait(false);
        await _connection.Database.SetAddAsync(_connection.Global.Queues, queue).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _connection.Database.HashSetAsync(q.Concurrency, "max", max).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the queue's per-key limit (the running counts stay: they belong to running jobs); false when it had none.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    /// <exception cref="RedisKeyTypeException">The limit's key holds another type (written by another client).</exception>
    public async Task<bool> ClearPerKeyAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        var q = _connection.Queue(queue);
        await ExpectHashAsync(q.Concurrency, cancellationToken).ConfigureAwait(false);
        return await _connection.Database.HashDeleteAsync(q.Concurrency, "max").WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The queue's per-key limit, or null when it has none.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    /// <exception cref="RedisKeyTypeException">The limit's key holds another type (written by another client).</exception>
    public async Task<int?> GetPerKeyAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        var q = _connection.Queue(queue);
        await ExpectHashAsync(q.Concurrency, cancellationToken).ConfigureAwait(false);
        var v = await _connection.Database.HashGetAsync(q.Concurrency, "max").WaitAsync(cancellationToken).ConfigureAwait(false);
        return int.TryParse((string?)v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= MaxPerKey ? n : null;
    }

    /// <summary>How many jobs of <paramref name="key"/> hold a slot of the queue's per-key limit now.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="key">The concurrency key.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    public async Task<long> RunningOfKeyAsync(string queue, string key, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        ArgumentNullException.ThrowIfNull(key);
        var v = await _connection.Database.HashGetAsync(_connection.Queue(queue).Concurrency, "k:" + key).WaitAsync(cancellationToken).ConfigureAwait(false);
        return long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>Every queue of the application that has a per-key limit, with it.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<(string Queue, int PerKey)>> ListPerKeyAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<(string, int)>();
        var queues = await _connection.Database.SetMembersAsync(_connection.Global.Queues).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var queue in queues.Select(v => (string)v!).Where(KeyNames.IsValidQueue).Order(StringComparer.Ordinal))
        {
            if (await GetPerKeyAsync(queue, cancellationToken).ConfigureAwait(false) is { } n)
            {
                list.Add((queue, n));
            }
        }

        return list;
    }

    /// <summary>Every queue of the application that has a rate limit, with it.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<(string Queue, RateLimit Limit)>> ListRatesAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<(string, RateLimit)>();
        var queues = await _connection.Database.SetMembersAsync(_connection.Global.Queues).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var queue in queues.Select(v => (string)v!).Where(KeyNames.IsValidQueue).Order(StringComparer.Ordinal))
        {
            if (await GetRateAsync(queue, cancellationToken).ConfigureAwait(false) is { } limit)
            {
                list.Add((queue, limit));
            }
        }

        return list;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    // The take script refuses a queue whose limit key is not a hash; say so here too, in the same words.
    private async Task ExpectHashAsync(RedisKey key, CancellationToken cancellationToken)
    {
        var type = await _connection.Database.KeyTypeAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (type is not (RedisType.None or RedisType.Hash))
        {
            throw new RedisKeyTypeException(key.ToString(), type.ToString().ToLowerInvariant(), "hash");
        }
    }
}
