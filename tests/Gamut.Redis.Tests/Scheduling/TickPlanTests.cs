using Gamut.Redis.Scheduling;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary>The tick computation alone (no Redis): daylight-saving changes in a zone that has them, and the misfire policies.</summary>
public sealed class TickPlanTests
{
    private static DateTime Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, DateTimeKind.Utc);

    [Fact]
    public void At_spring_forward_a_tick_in_the_skipped_hour_runs_once_when_the_clocks_jump()
    {
        // Europe/Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
        var cron = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        var ticks = cron.Between(Utc(2026, 3, 27, 12, 0), Utc(2026, 3, 30, 12, 0)).ToList();
        Assert.Equal([Utc(2026, 3, 28, 1, 30), Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 30)], ticks);
    }

    [Fact]
    public void At_fall_back_a_tick_in_the_repeated_hour_runs_once()
    {
        // Europe/Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice, the job runs at the first.
        var cron = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        var ticks = cron.Between(Utc(2026, 10, 23, 12, 0), Utc(2026, 10, 26, 12, 0)).ToList();
        Assert.Equal([Utc(2026, 10, 24, 0, 30), Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 26, 1, 30)], ticks);
    }

    [Fact]
    public void An_interval_schedule_keeps_real_time_through_both_changes_with_distinct_job_ids()
    {
        // Every 15 minutes: 96 ticks on an ordinary day, 92 on the 23-hour spring day, 100 on the 25-hour autumn day,
        // 15 minutes apart in real time, none twice, each with its own job id (the tick in UTC).
        var cron = CronSchedule.Parse("*/15 * * * *", "Europe/Berlin");
        foreach (var (from, to, count) in new[]
        {
            (Utc(2026, 3, 27, 23, 0), Utc(2026, 3, 28, 23, 0), 96),
            (Utc(2026, 3, 28, 23, 0), Utc(2026, 3, 29, 22, 0), 92),
            (Utc(2026, 10, 24, 22, 0), Utc(2026, 10, 25, 23, 0), 100),
        })
        {
            var ticks = cron.Between(from, to).ToList();
            Assert.Equal(count, ticks.Count);
            Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(TimeSpan.FromMinutes(15), p.Second - p.First));
            Assert.Equal(count, ticks.Select(t => ScheduleDefinition.JobId("s", t)).Distinct().Count());
        }
    }

    [Fact]
    public void An_hourly_schedule_has_23_ticks_on_the_spring_day_and_25_on_the_autumn_day()
    {
        var cron = CronSchedule.Parse("0 * * * *", "Europe/Berlin");
        Assert.Equal(23, cron.Between(Utc(2026, 3, 28, 23, 0), Utc(2026, 3, 29, 22, 0)).Count());
        Assert.Equal(25, cron.Between(Utc(2026, 10, 24, 22, 0), Utc(2026, 10, 25, 23, 0)).Count());
    }

    // A minute schedule whose last handled tick is 10:00; at 10:10:30 ten ticks are due: 10:01 … 10:09 are more than
    // the 60-second threshold late (missed), 10:10 is 30 s late (on time).
    private static readonly CronSchedule EveryMinute = CronSchedule.Parse("* * * * *", "UTC");
    private static readonly DateTime Last = Utc(2026, 12, 7, 10, 0);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(60);

    private static List<int> Minutes(TickPlan plan) => [.. plan.Ticks.Select(t => t.Minute)];

    [Fact]
    public void Skip_drops_the_missed_ticks_and_runs_the_one_on_time()
    {
        var plan = TickPlan.Make(EveryMinute, Last, Last.AddSeconds(630), MisfirePolicy.Skip, Threshold, 100);
        Assert.Equal([10], Minutes(plan));
        Assert.Equal(Utc(2026, 12, 7, 10, 10), plan.Last);
        Assert.Equal(Utc(2026, 12, 7, 10, 11), plan.Next);
    }

    [Fact]
    public void Skip_with_every_due_tick_missed_runs_nothing_and_still_moves_the_last_tick()
    {
        // With a 30-second threshold at 10:10:40, the last due tick (10:10) is already missed.
        var plan = TickPlan.Make(EveryMinute, Last, Last.AddSeconds(640), MisfirePolicy.Skip, TimeSpan.FromSeconds(30), 100);
        Assert.Empty(plan.Ticks);
        Assert.Equal(Utc(2026, 12, 7, 10, 10), plan.Last);
    }

    [Fact]
    public void Once_runs_the_missed_ticks_as_one_job_under_the_latest_of_them()
    {
        var plan = TickPlan.Make(EveryMinute, Last, Last.AddSeconds(630), MisfirePolicy.Once, Threshold, 100);
        Assert.Equal([9, 10], Minutes(plan));
    }

    [Fact]
    public void Each_runs_every_missed_tick_up_to_its_bound_the_latest_ones()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Minutes(TickPlan.Make(EveryMinute, Last, Last.AddSeconds(630), MisfirePolicy.Each, Threshold, 100)));
        Assert.Equal([7, 8, 9, 10], Minutes(TickPlan.Make(EveryMinute, Last, Last.AddSeconds(630), MisfirePolicy.Each, Threshold, 3)));
    }

    [Fact]
    public void A_long_outage_of_a_per_second_schedule_is_bounded_without_enumerating_it_whole()
    {
        var cron = CronSchedule.Parse("* * * * * *", "UTC");
        var plan = TickPlan.Make(cron, Last, Last.AddDays(400), MisfirePolicy.Each, Threshold, 100);
        Assert.Equal(160, plan.Ticks.Count); // the 100 latest missed, and the 60 of the last minute (on time)
        Assert.Equal(Last.AddDays(400), plan.Last);
    }

    [Fact]
    public void Nothing_is_due_before_the_next_tick()
    {
        var plan = TickPlan.Make(EveryMinute, Last, Last.AddSeconds(59), MisfirePolicy.Each, Threshold, 100);
        Assert.Empty(plan.Ticks);
        Assert.Null(plan.Last);
        Assert.Equal(Utc(2026, 12, 7, 10, 1), plan.Next);
    }

    [Theory]
    [InlineData("* * *", "is not a valid cron expression (it has 3 fields)")]
    [InlineData("61 * * * *", "is not a valid cron expression")]
    [InlineData("", "the cron expression is empty")]
    public void A_bad_expression_is_refused_in_gamuts_words(string cron, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ScheduleDefinition.ForJob("s", cron, "test.tick", "\"x\""u8.ToArray()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_zone_and_a_bad_name_are_refused_in_gamuts_words()
    {
        var ok = ScheduleDefinition.ForJob("s", "* * * * *", "test.tick", "\"x\""u8.ToArray());
        Assert.Contains("unknown time zone 'Mars/Olympus'", Assert.ThrowsAny<ArgumentException>(() => ok.InZone("Mars/Olympus")).Message, StringComparison.Ordinal);
        Assert.Contains("is not a valid schedule name", Assert.ThrowsAny<ArgumentException>(() => ScheduleDefinition.ForJob("a b", "* * * * *", "test.tick", "1"u8.ToArray())).Message, StringComparison.Ordinal);
        Assert.Equal("Europe/Berlin", ok.InZone("Europe/Berlin").TimeZone);
        Assert.Equal("UTC", ok.TimeZone);
    }
}
