using System.Text;
using Gamut.Jobs.Commands;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary>Schedules stored in a real Redis: add, list, replace, pause, resume, remove; and the misfire policies as workers apply them.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ScheduleTests(SharedRedis redis)
{
    private static ScheduleDefinition Tick(string name, string cron, string ledger) =>
        ScheduleDefinition.ForJob(name, cron, "test.tick", Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(ledger)));

    [Fact]
    public async Task A_schedule_is_added_listed_replaced_paused_resumed_and_removed()
    {
        var options = TestOptions.For(redis.Server);
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var backup = ScheduleDefinition.ForCommand("backup", "30 2 * * *", new CommandSpec { Executable = "/bin/true", Arguments = ["x"] })
            .InZone("Europe/Berlin").OnQueue("maint").WithMisfire(MisfirePolicy.Skip);
        Assert.Equal(ScheduleChange.Created, await schedules.AddAsync(backup));
        Assert.Equal(ScheduleChange.Created, await schedules.AddAsync(Tick("ticker", "*/5 * * * * *", "/dev/null")));

        var list = await schedules.ListAsync();
        Assert.Equal(["ticker", "backup"], list.Select(s => s.Name)); // by queue (default, maint), then name
        var b = list[1];
        Assert.Equal(("maint", "30 2 * * *", "Europe/Berlin", "gamut.command", MisfirePolicy.Skip, false), (b.Queue, b.Cron, b.TimeZone, b.JobName, b.Misfire, b.Paused));
        Assert.Contains("\"executable\":\"/bin/true\"", Encoding.UTF8.GetString(b.Payload), StringComparison.Ordinal);
        Assert.InRange(b.LastTick, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(0, b.Fired);
        Assert.Null(b.LastJobId);
        Assert.Equal(new TimeSpan(2, 30, 0), TimeZoneInfo.ConvertTime(b.NextTick!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).TimeOfDay);

        // The same name again: refused unless replacing; on another queue: refused with a message naming it.
        Assert.Equal(ScheduleChange.Exists, await schedules.AddAsync(backup.WithMisfire(MisfirePolicy.Each)));
        Assert.Equal(MisfirePolicy.Skip, (await schedules.GetAsync("backup"))!.Misfire);
        Assert.Equal(ScheduleChange.Replaced, await schedules.AddAsync(backup.WithMisfire(MisfirePolicy.Each), replace: true));
        var replaced = (await schedules.GetAsync("backup"))!;
        Assert.Equal((MisfirePolicy.Each, b.LastTick, b.Created), (replaced.Misfire, replaced.LastTick, replaced.Created));
        var clash = await Assert.ThrowsAnyAsync<ArgumentException>(() => schedules.AddAsync(backup.OnQueue("other")));
        Assert.Contains("exists on the queue 'maint'", clash.Message, StringComparison.Ordinal);

        Assert.True(await schedules.PauseAsync("backup"));
        Assert.True((await schedules.GetAsync("backup"))!.Paused);
        Assert.True(await schedules.ResumeAsync("backup"));
        Assert.False((await schedules.GetAsync("backup"))!.Paused);
        Assert.False(await schedules.PauseAsync("nosuch"));

        Assert.True(await schedules.RemoveAsync("backup"));
        Assert.False(await schedules.RemoveAsync("backup"));
        Assert.Null(await schedules.GetAsync("backup"));
        Assert.Equal(["ticker"], (await schedules.ListAsync()).Select(s => s.Name));
    }

    [Theory]
    [InlineData(MisfirePolicy.Skip, 0)]
    [InlineData(MisfirePolicy.Once, 1)]
    [InlineData(MisfirePolicy.Each, 5)]
    public async Task After_an_outage_the_missed_ticks_follow_the_misfire_policy(MisfirePolicy policy, int expected)
    {
        // A yearly schedule that started five years ago: five ticks were missed (every one more than a minute late).
        var options = TestOptions.For(redis.Server);
        var ledger = Path.Combine(Wait.TempDir("misfire"), "ledger");
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        var start = DateTimeOffset.UtcNow.AddYears(-5).AddDays(1);
        await schedules.AddAsync(Tick("yearly", "0 0 1 1 *", ledger).WithMisfire(policy).StartingAt(start));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2 });

        // The worker's scheduler moves the last tick to the latest missed one, enqueuing what the policy says in the same step.
        var latest = new DateTimeOffset(DateTime.UtcNow.Year, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Wait.UntilAsync(async () => (await schedules.GetAsync("yearly"))!.LastTick == latest, "the scheduler handled the missed ticks", TestOptions.Guard);
        var info = (await schedules.GetAsync("yearly"))!;
        Assert.Equal(expected, info.Fired);
        await Wait.UntilAsync(() => Task.FromResult(TickLedgerJob.Read(ledger).Count >= expected), $"{expected} jobs ran", TestOptions.Guard);
        var ran = TickLedgerJob.Read(ledger).Select(l => l.Id).Order(StringComparer.Ordinal).ToList();
        var years = Enumerable.Range(DateTime.UtcNow.Year - expected + 1, expected).Select(y => $"sched.yearly.{y}0101T000000Z");
        Assert.Equal(years, ran);
        Assert.Equal(expected == 0 ? null : $"sched.yearly.{DateTime.UtcNow.Year}0101T000000Z", info.LastJobId);
    }

    [Fact]
    public async Task A_paused_schedule_enqueues_nothing_and_resumes_from_now()
    {
        var options = TestOptions.For(redis.Server);
        var dir = Wait.TempDir("pause");
        var ledger = Path.Combine(dir, "ledger");
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        await schedules.AddAsync(Tick("paused", "* * * * * *", ledger).WithMisfire(MisfirePolicy.Each).StartingAt(DateTimeOffset.UtcNow.AddSeconds(-30)));
        await schedules.PauseAsync("paused");
        // A witness on the same queue: once it has run twice, the scheduler has passed over the paused one too.
        await schedules.AddAsync(Tick("witness", "* * * * * *", Path.Combine(dir, "witness")));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2 });
        await Wait.UntilAsync(async () => (await schedules.GetAsync("witness"))!.Fired >= 2, "the witness ran twice", TestOptions.Guard);
        Assert.Equal(0, (await schedules.GetAsync("paused"))!.Fired);

        var resumed = DateTimeOffset.UtcNow;
        await schedules.ResumeAsync("paused");
        await Wait.UntilAsync(async () => (await schedules.GetAsync("paused"))!.Fired >= 2, "ticks after the resume ran", TestOptions.Guard);
        await schedules.RemoveAsync("paused");
        await Wait.UntilAsync(() => Task.FromResult(TickLedgerJob.Read(ledger).Count >= 2), "the jobs ran", TestOptions.Guard);
        // None of the 30 seconds before the start or the pause ran: every tick is after the resume.
        Assert.All(TickLedgerJob.Read(ledger), l => Assert.True(TickOf(l.Id) > resumed.UtcDateTime.AddSeconds(-1), l.Id));
    }

    [Fact]
    public async Task A_worker_told_not_to_keep_schedules_enqueues_nothing()
    {
        var options = TestOptions.For(redis.Server);
        var dir = Wait.TempDir("nokeep");
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        await schedules.AddAsync(Tick("kept-by-none", "* * * * * *", Path.Combine(dir, "none")));
        await schedules.AddAsync(Tick("witness", "* * * * * *", Path.Combine(dir, "witness")).OnQueue("other"));
        await using var idle = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 1, KeepSchedules = false });
        await using var witness = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 1, Queues = ["other"] });
        // The witness keeps only its own queue's schedule; once it has enqueued twice, the other worker had the time to.
        await Wait.UntilAsync(async () => (await schedules.GetAsync("witness"))!.Fired >= 2, "the witness ran twice", TestOptions.Guard);
        Assert.Equal(0, (await schedules.GetAsync("kept-by-none"))!.Fired);
    }

    /// <summary>The tick a scheduled job's id carries (<c>sched.NAME.yyyyMMddTHHmmssZ</c>).</summary>
    internal static DateTime TickOf(string id) => DateTime.ParseExact(id[(id.LastIndexOf('.') + 1)..], "yyyyMMdd'T'HHmmss'Z'",
        System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
}
