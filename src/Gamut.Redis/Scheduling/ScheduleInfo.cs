using Gamut.Redis.Scheduling;

namespace Gamut.Redis;

/// <summary>A schedule as stored in Redis, with its progress: what <see cref="RedisSchedules.ListAsync"/> and <c>gamut schedule list</c> show.</summary>
public sealed record ScheduleInfo
{
    /// <summary>The schedule's name.</summary>
    public required string Name { get; init; }

    /// <summary>The queue its jobs go to.</summary>
    public required string Queue { get; init; }

    /// <summary>The cron expression.</summary>
    public required string Cron { get; init; }

    /// <summary>The IANA time zone the expression is read in.</summary>
    public required string TimeZone { get; init; }

    /// <summary>The registered job name each tick runs.</summary>
    public required string JobName { get; init; }

    /// <summary>The serialized input each tick's job gets.</summary>
    public required byte[] Payload { get; init; }

    /// <summary>What happens to ticks missed during an outage.</summary>
    public MisfirePolicy Misfire { get; init; }

    /// <summary>Whether it is paused (no tick runs; resuming skips the ticks in between).</summary>
    public bool Paused { get; init; }

    /// <summary>The last tick handled (run, or dropped by the misfire policy); at first, when the schedule was added (or its start).</summary>
    public DateTimeOffset LastTick { get; init; }

    /// <summary>When it was first added.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>How many jobs it has enqueued.</summary>
    public long Fired { get; init; }

    /// <summary>The id of the last job it enqueued, or null before the first.</summary>
    public string? LastJobId { get; init; }

    /// <summary>The next tick after <see cref="LastTick"/> (it may already be due); null when the expression never matches again or cannot be read here.</summary>
    public DateTimeOffset? NextTick
    {
        get
        {
            try
            {
                return CronSchedule.Parse(Cron, TimeZone).Next(LastTick.UtcDateTime) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }

    /// <summary>The definition's version (bumped by every replace, pause and resume): a scheduler's plan must match it.</summary>
    internal string Version { get; init; } = "";

    /// <summary>The stored last tick as text, exactly (what schedule-fire compares).</summary>
    internal string RawLastTick { get; init; } = "";
}
