using System.Diagnostics;
using System.Globalization;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Scheduling;

/// <summary>
/// The scheduler inside every worker: for the queues the worker serves, it reads the schedules, sleeps until the
/// next tick, and enqueues the due ticks with <c>schedule-fire</c>. Every worker does this at once; the script lets
/// one of them through per tick (the last tick is compared and advanced in the same step as the enqueue, and the job
/// id carries the tick, so the idempotent enqueue refuses a second record), so nothing here needs to be elected.
/// A worker killed at any point leaves either both the jobs and the advanced last tick, or neither.
/// </summary>
internal sealed class ScheduleKeeper : IAsyncDisposable
{
    /// <summary>The longest sleep: a schedule added or changed is picked up within it.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);

    private readonly RedisConnection _connection;
    private readonly IReadOnlyList<string> _queues;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(string Cron, string Zone), CronSchedule?> _parsed = [];
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly Task _loop;

    // Redis' clock minus this machine's (ms): the plans use Redis' time, which the scripts also use.
    private long _offsetMs;
    private long? _offsetMeasured;

    public ScheduleKeeper(RedisConnection connection, IReadOnlyList<string> queues)
    {
        _connection = connection;
        _queues = queues;
        _log = connection.Logger;
        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>How many ticks this keeper enqueued (others may have enqueued the rest).</summary>
    public long Enqueued { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                sleep = await PassAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (RedisFailures.IsTransient(e) || e is RedisException)
            {
                _log.LogDebug(e, "The scheduler could not reach Redis; trying again in a second");
                sleep = MaxSleep;
            }

            try
            {
                if (sleep > TimeSpan.Zero)
                {
                    await Task.Delay(sleep, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the schedules; returns how long to sleep before the next.</summary>
    private async Task<TimeSpan> PassAsync(CancellationToken cancellationToken)
    {
        await MeasureClockAsync(cancellationToken).ConfigureAwait(false);
        var db = _connection.Database;
        var now = Now();
        var wake = now + MaxSleep;
        foreach (var queue in _queues)
        {
            var q = _connection.Queue(queue);
            foreach (var name in await ScheduleStore.NamesAsync(db, q, cancellationToken).ConfigureAwait(false))
            {
                ScheduleInfo? s;
                try
                {
                    s = await ScheduleStore.ReadAsync(db, q, name, cancellationToken).ConfigureAwait(false);
                }
                catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
                {
                    Warn($"{queue}/{name}", "The schedule {Name} on {Queue} is not a hash; it is skipped", name, queue);
                    continue;
                }

                if (s is null || s.Paused || Parse(s) is not { } cron)
                {
                    continue;
                }

                var next = await FireAsync(q, s, cron, now, cancellationToken).ConfigureAwait(false);
                if (next is { } at && at < wake)
                {
                    wake = at;
                }
            }
        }

        return wake - Now();
    }

    /// <summary>Enqueues what is due of one schedule; returns when to look at it again.</summary>
    private async Task<DateTime?> FireAsync(Keys.QueueKeys q, ScheduleInfo s, CronSchedule cron, DateTime now, CancellationToken cancellationToken)
    {
        var plan = TickPlan.Make(cron, s.LastTick.UtcDateTime, now, s.Misfire, ScheduleDefinition.MisfireThreshold, ScheduleDefinition.MaxCatchUp);
        if (plan.Last is not { } last)
        {
            return plan.Next;
        }

        var lastMs = new DateTimeOffset(last, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var args = new List<RedisValue>(6 + plan.Ticks.Count)
        {
            q.JobPrefix, q.WakeChannel.ToString(), s.RawLastTick, s.Version, lastMs, s.Name,
        };
        args.AddRange(plan.Ticks.Select(t => (RedisValue)ScheduleDefinition.JobId(s.Name, t)));
        RedisResult[] r;
        try
        {
            await _connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            r = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(LuaScripts.ScheduleFire, [ScheduleStore.Key(q, s.Name), q.Ready, q.Stats], [.. args])
                .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (RedisServerException e) when (KeyTypes.IsWrongType(e))
        {
            Warn($"{q.Queue}/{s.Name}/type", "The schedule {Name} on {Queue} cannot enqueue: {Error}", s.Name, q.Queue, e.Message);
            return null;
        }

        switch ((string?)r[0])
        {
            case "ok":
                var created = (long)r[1];
                Enqueued += created;
                if (plan.Ticks.Count > 0 && (created < plan.Ticks.Count || plan.Ticks.Count > 1))
                {
                    _log.LogDebug("Schedule {Name}: {Created} of {Due} due ticks enqueued", s.Name, created, plan.Ticks.Count);
                }

                return plan.Next;
            case "early":
                // This machine's clock runs ahead of Redis': measure again and come back in a moment.
                _offsetMeasured = null;
                return now.AddMilliseconds(5);
            default:
                // Another worker was first (moved), or the schedule changed: read it again at once.
                return now;
        }
    }

    private CronSchedule? Parse(ScheduleInfo s)
    {
        if (!_parsed.TryGetValue((s.Cron, s.TimeZone), out var cron))
        {
            try
            {
                cron = CronSchedule.Parse(s.Cron, s.TimeZone);
            }
            catch (ArgumentException e)
            {
                // Written by hand or by a newer version, or the zone is missing from this machine: the other workers may still run it.
                Warn($"{s.Queue}/{s.Name}/{s.Cron}/{s.TimeZone}", "The schedule {Name} on {Queue} is skipped by this worker: {Error}", s.Name, s.Queue, e.Message);
            }

            _parsed[(s.Cron, s.TimeZone)] = cron;
        }

        return cron;
    }

    private void Warn(string key, string message, params object?[] args)
    {
        if (_warned.Add(key))
        {
#pragma warning disable CA2254 // The templates are the constant strings above.
            _log.LogWarning(message, args);
#pragma warning restore CA2254
        }
    }

    /// <summary>Now by Redis' clock (UTC), as estimated from this machine's.</summary>
    private DateTime Now() => DateTime.UtcNow.AddMilliseconds(Interlocked.Read(ref _offsetMs));

    /// <summary>Measures Redis' clock against this one every ten seconds (TIME, halfway through the round trip).</summary>
    private async Task MeasureClockAsync(CancellationToken cancellationToken)
    {
        if (_offsetMeasured is { } at && Environment.TickCount64 - at < 10_000)
        {
            return;
        }

        var before = DateTime.UtcNow;
        var watch = Stopwatch.StartNew();
        var time = (RedisResult[])(await _connection.Database.ExecuteAsync("TIME").WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var redisMs = (long.Parse((string)time[0]!, CultureInfo.InvariantCulture) * 1000) + (long.Parse((string)time[1]!, CultureInfo.InvariantCulture) / 1000);
        var localMs = new DateTimeOffset(before, TimeSpan.Zero).ToUnixTimeMilliseconds() + (watch.ElapsedMilliseconds / 2);
        Interlocked.Exchange(ref _offsetMs, redisMs - localMs);
        _offsetMeasured = Environment.TickCount64;
    }
}
