using System.Globalization;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scheduling;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>What <see cref="RedisSchedules.AddAsync"/> did.</summary>
public enum ScheduleChange
{
    /// <summary>The schedule is new.</summary>
    Created,

    /// <summary>A schedule of that name on that queue was replaced (its last tick and paused state kept).</summary>
    Replaced,

    /// <summary>A schedule of that name exists on that queue and replacing was not asked for: nothing changed.</summary>
    Exists,
}

/// <summary>
/// Recurring jobs in Redis: add, list, pause, resume and remove schedules (<see cref="ScheduleDefinition"/>). The
/// workers serving a schedule's queue keep it — no separate scheduler process — and exactly one job is enqueued per
/// tick however many of them run (docs/redis.md, "Recurring jobs").
/// <code>
/// await using var schedules = await RedisSchedules.ConnectAsync(RedisOptions.FromUrl("redis://127.0.0.1:6379"));
/// await schedules.AddAsync(ScheduleDefinition.ForCommand("report", "0 7 * * 1-5", new CommandSpec { Executable = "make-report" }));
/// </code>
/// A schedule's name is unique across the application's queues, so it can be named without its queue.
/// Schedules need one Redis (a lone instance, a Sentinel-managed primary or a Cluster): a ring is refused.
/// </summary>
public sealed class RedisSchedules : IAsyncDisposable
{
    private readonly RedisConnection _connection;

    private RedisSchedules(RedisConnection connection) => _connection = connection;

    /// <summary>Connects (with the start-up checks).</summary>
    /// <param name="options">Where Redis is and the application's key prefix.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="RedisStartupException">Redis is unreachable or unsafe to use.</exception>
    /// <exception cref="ArgumentException">The options name a ring of instances (schedules need one Redis).</exception>
    public static async Task<RedisSchedules> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default)
    {
        var deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        if (deployment.Ring is not null)
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw new ArgumentException("schedules need one Redis (a lone instance, a Sentinel service or a Cluster); a ring of instances has none yet", nameof(options));
        }

        return new RedisSchedules(deployment.Instances[0]);
    }

    /// <summary>Stores a schedule; the workers of its queue pick it up within a second.</summary>
    /// <param name="schedule">The schedule.</param>
    /// <param name="replace">Replace a schedule of the same name on the same queue (keeping its last tick, so no tick runs twice).</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">A schedule of that name exists on another queue.</exception>
    public async Task<ScheduleChange> AddAsync(ScheduleDefinition schedule, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var db = _connection.Database;
        foreach (var other in await FindAsync(schedule.Name, cancellationToken).ConfigureAwait(false))
        {
            if (other != schedule.Queue)
            {
                throw new ArgumentException($"a schedule named '{schedule.Name}' exists on the queue '{other}': remove it first, or choose another name", nameof(schedule));
            }
        }

        var q = _connection.Queue(schedule.Queue);
        await _connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
        var start = schedule.StartAt is { } at ? at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "";
        // Listed with the application's queues first (so a schedule is never stored where ListAsync cannot find it; for status, dashboards and ListAsync), as a client does at its first enqueue.
        await db.SetAddAsync(_connection.Global.Queues, schedule.Queue).WaitAsync(cancellationToken).ConfigureAwait(false);
        var r = (RedisResult[])(await db.ScriptEvaluateAsync(
            LuaScripts.ScheduleAdd,
            [ScheduleStore.Key(q, schedule.Name), ScheduleStore.Index(q)],
            [schedule.Name, schedule.Cron, schedule.TimeZone, schedule.JobName, schedule.Payload, ScheduleStore.Format(schedule.Misfire), start, replace ? 1 : 0])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return (string?)r[0] switch
        {
            "created" => ScheduleChange.Created,
            "replaced" => ScheduleChange.Replaced,
            _ => ScheduleChange.Exists,
        };
    }

    /// <summary>Every schedule of the application, by queue then name.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var db = _connection.Database;
        var list = new List<ScheduleInfo>();
        foreach (var queue in await QueuesAsync(cancellationToken).ConfigureAwait(false))
        {
            var q = _connection.Queue(queue);
            foreach (var name in await ScheduleStore.NamesAsync(db, q, cancellationToken).ConfigureAwait(false))
            {
                if (await ScheduleStore.ReadAsync(db, q, name, cancellationToken).ConfigureAwait(false) is { } info)
                {
                    list.Add(info);
                }
            }
        }

        return list;
    }

    /// <summary>One schedule, or null when there is none of that name.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<ScheduleInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ScheduleDefinition.ValidateName(name);
        foreach (var queue in await FindAsync(name, cancellationToken).ConfigureAwait(false))
        {
            return await ScheduleStore.ReadAsync(_connection.Database, _connection.Queue(queue), name, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Removes a schedule (jobs it already enqueued stay); returns false when there was none of that name.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ScheduleDefinition.ValidateName(name);
        var removed = false;
        foreach (var queue in await FindAsync(name, cancellationToken).ConfigureAwait(false))
        {
            var q = _connection.Queue(queue);
            await _connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            removed |= (long)await _connection.Database.ScriptEvaluateAsync(LuaScripts.ScheduleRemove, [ScheduleStore.Key(q, name), ScheduleStore.Index(q)], [name])
                .WaitAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        return removed;
    }

    /// <summary>Pauses a schedule: no tick runs until it is resumed. Returns false when there is none of that name.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public Task<bool> PauseAsync(string name, CancellationToken cancellationToken = default) => SetPausedAsync(name, true, cancellationToken);

    /// <summary>Resumes a paused schedule from now on (the ticks while it was paused do not run). Returns false when there is none of that name.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public Task<bool> ResumeAsync(string name, CancellationToken cancellationToken = default) => SetPausedAsync(name, false, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task<bool> SetPausedAsync(string name, bool paused, CancellationToken cancellationToken)
    {
        ScheduleDefinition.ValidateName(name);
        var found = false;
        foreach (var queue in await FindAsync(name, cancellationToken).ConfigureAwait(false))
        {
            var q = _connection.Queue(queue);
            await _connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            found |= (string?)await _connection.Database.ScriptEvaluateAsync(LuaScripts.SchedulePause, [ScheduleStore.Key(q, name)], [paused ? "1" : "0"])
                .WaitAsync(cancellationToken).ConfigureAwait(false) != "missing";
        }

        return found;
    }

    private async Task<List<string>> QueuesAsync(CancellationToken cancellationToken) =>
        [.. (await _connection.Database.SetMembersAsync(_connection.Global.Queues).WaitAsync(cancellationToken).ConfigureAwait(false))
            .Select(v => (string)v!).Where(KeyNames.IsValidQueue).Order(StringComparer.Ordinal)];

    /// <summary>The queues whose index holds <paramref name="name"/> (one, normally).</summary>
    private async Task<List<string>> FindAsync(string name, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        foreach (var queue in await QueuesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await _connection.Database.SetContainsAsync(ScheduleStore.Index(_connection.Queue(queue)), name).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(queue);
            }
        }

        return found;
    }
}
