namespace Gamut.Redis.Scheduling;

/// <summary>
/// What a scheduler does for one schedule at one moment: the ticks to enqueue (oldest first) and the new last tick
/// (every tick up to it is handled, run or dropped by the misfire policy). <see cref="Last"/> null: nothing is due.
/// </summary>
/// <param name="Ticks">The ticks to enqueue, oldest first.</param>
/// <param name="Last">The new last tick; null when nothing is due.</param>
/// <param name="Next">The first tick after <see cref="Last"/> (or after the old last tick when nothing is due); null when there is none.</param>
internal sealed record TickPlan(IReadOnlyList<DateTime> Ticks, DateTime? Last, DateTime? Next)
{
    /// <summary>
    /// Plans a schedule whose ticks up to <paramref name="lastUtc"/> are handled, at <paramref name="nowUtc"/>: ticks
    /// at most <paramref name="threshold"/> late all run; older ones follow <paramref name="policy"/>.
    /// </summary>
    public static TickPlan Make(CronSchedule cron, DateTime lastUtc, DateTime nowUtc, MisfirePolicy policy, TimeSpan threshold, int maxCatchUp)
    {
        var first = cron.Next(lastUtc);
        if (first is not { } due || due > nowUtc)
        {
            return new TickPlan([], null, first);
        }

        var graceStart = nowUtc - threshold;
        var recent = cron.Between(lastUtc > graceStart ? lastUtc : graceStart, nowUtc).ToList();
        List<DateTime> late = [];
        if (lastUtc < graceStart)
        {
            var keep = policy switch
            {
                MisfirePolicy.Each => maxCatchUp,
                MisfirePolicy.Once => 1,
                _ => 0,
            };

            // The latest missed tick is needed even when none runs: it becomes the last tick handled.
            var missed = cron.Latest(lastUtc, graceStart, Math.Max(keep, 1));
            if (keep > 0)
            {
                late = missed;
            }
            else if (recent.Count == 0 && missed.Count > 0)
            {
                return new TickPlan([], missed[^1], cron.Next(missed[^1]));
            }
        }

        var ticks = late.Concat(recent).ToList();
        var last = ticks[^1];
        return new TickPlan(ticks, last, cron.Next(last));
    }
}
