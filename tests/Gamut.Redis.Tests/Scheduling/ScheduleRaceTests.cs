using System.Text;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary>
/// Several workers keep the same schedule at once: per tick exactly one job, counted by an outside ledger (each job
/// appends its id to a file) and by the job records in Redis.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ScheduleRaceTests(SharedRedis redis)
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Racing_schedulers_enqueue_exactly_one_job_per_tick(int schedulers)
    {
        var options = TestOptions.For(redis.Server);
        var ledger = Path.Combine(Wait.TempDir("race"), "ledger");
        var workers = new List<RedisWorker>();
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        try
        {
            for (var i = 0; i < schedulers; i++)
            {
                workers.Add(await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 2 }));
            }

            var payload = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(ledger));
            await schedules.AddAsync(ScheduleDefinition.ForJob("race", "* * * * * *", "test.tick", payload).WithMisfire(MisfirePolicy.Each));
            await Wait.UntilAsync(async () => (await schedules.GetAsync("race"))!.Fired >= 6, "six ticks enqueued", TestOptions.Guard);
            await schedules.RemoveAsync("race");
            var fired = (await schedules.GetAsync("race"))?.Fired;
            Assert.Null(fired);

            // Every job enqueued runs once: wait until the ledger holds as many as there are job records.
            var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
            await using (mux)
            {
                var server = mux.GetServers()[0];
                var records = server.Keys(pattern: $"{options.KeyPrefix}:{{default}}:job:sched.race.*").Select(k => k.ToString()).ToList();
                await Wait.UntilAsync(() => Task.FromResult(TickLedgerJob.Read(ledger).Count >= records.Count), "every job ran", TestOptions.Guard);
                var ran = TickLedgerJob.Read(ledger);
                Assert.True(ran.Count >= 6, $"{ran.Count} jobs ran");
                Assert.Equal(ran.Count, ran.Select(r => r.Id).Distinct().Count());
                Assert.All(ran, r => Assert.Equal(1, r.Attempt));
                Assert.Equal(records.Select(k => k[(k.LastIndexOf(':') + 1)..]).Order(StringComparer.Ordinal), ran.Select(r => r.Id).Order(StringComparer.Ordinal));

                // No tick lost between the first and the last: one job per second.
                var ticks = ran.Select(r => ScheduleTests.TickOf(r.Id)).Order().ToList();
                Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(1), p.Second - p.First));
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.DisposeAsync();
            }
        }
    }
}
