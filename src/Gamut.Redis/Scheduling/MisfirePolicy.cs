namespace Gamut.Redis;

/// <summary>
/// What a schedule does with ticks that no scheduler got to in time (every worker was down, or Redis was): a tick is
/// <em>missed</em> once it is more than <see cref="ScheduleDefinition.MisfireThreshold"/> late. Ticks less late than
/// that are never missed: they run, late.
/// </summary>
public enum MisfirePolicy
{
    /// <summary>Missed ticks run as one job, under the id of the latest of them (the default, as Hangfire's).</summary>
    Once,

    /// <summary>Missed ticks are dropped; the schedule goes on from the next tick.</summary>
    Skip,

    /// <summary>
    /// Every missed tick runs, each as its own job, oldest first — the latest <see cref="ScheduleDefinition.MaxCatchUp"/>
    /// of them at most (older ones are dropped), so a long outage of a frequent schedule does not flood its queue.
    /// </summary>
    Each,
}
