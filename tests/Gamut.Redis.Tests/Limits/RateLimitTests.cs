using System.Globalization;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Limits;

/// <summary>
/// Issue 17, rate limits: a queue's limit is kept by the take script, so it holds across every worker. The
/// assertions count the jobs' start stamps (<c>st</c>, Redis' clock at the take that started each job), never the
/// time the test took.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class RateLimitTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    private static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();

    [Theory]
    [InlineData("50/s", 50, 1000)]
    [InlineData("50/1s", 50, 1000)]
    [InlineData("3/500ms", 3, 500)]
    [InlineData("1000/1m", 1000, 60_000)]
    [InlineData("10/2h", 10, 7_200_000)]
    public void A_rate_is_read_from_N_slash_period(string text, int count, long ms)
    {
        var limit = RateLimit.Parse(text);
        Assert.Equal((count, ms), (limit.Count, (long)limit.Period.TotalMilliseconds));
        Assert.Equal(limit, RateLimit.Parse(limit.ToString()));
    }

    [Theory]
    [InlineData("50")]
    [InlineData("/s")]
    [InlineData("0/s")]
    [InlineData("-1/s")]
    [InlineData("5/0s")]
    [InlineData("5/week")]
    [InlineData("5/8d")]
    [InlineData("2000000/s")]
    [InlineData("5/1.5s")]
    public void A_bad_rate_is_refused_in_gamuts_words(string text)
    {
        var e = Assert.Throws<FormatException>(() => RateLimit.Parse(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifty_a_second_holds_across_four_workers_in_every_one_second_window()
    {
        var options = TestOptions.For(redis.Server);
        await using (var limits = await RedisQueueLimits.ConnectAsync(options))
        {
            await limits.SetRateAsync("default", new RateLimit(50, TimeSpan.FromSeconds(1)));
            Assert.Equal(new RateLimit(50, TimeSpan.FromSeconds(1)), await limits.GetRateAsync("default"));
        }

        var workers = new List<RedisWorker>();
        for (var i = 0; i < 4; i++)
        {
            workers.Add(await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 16 }));
        }

        try
        {
            await using var client = await RedisExecutor.ConnectAsync(options);
            var scriptsBefore = await ScriptCallsAsync();
            // Without the limit 64 slots run 200 instant jobs well within a second: the windows below would overflow.
            var handles = await client.EnqueueManyAsync(Square, Enumerable.Range(1, 200));
            foreach (var h in handles)
            {
                await client.WaitAsync<int>(h).WaitAsync(TestOptions.Guard);
            }

            // A refused worker waits until the next start is due instead of asking again at once: every script call of
            // the run (takes, completions, heartbeats, waits) stays far below what 4 workers polling every millisecond
            // for 3 seconds would make (12,000 takes alone).
            var scripts = await ScriptCallsAsync() - scriptsBefore;
            Assert.True(scripts < 3000, $"{scripts} script calls for 200 rate-limited jobs: a refused worker is polling");

            var starts = await StartsAsync(options, handles.Select(h => h.Id));
            Assert.Equal(200, starts.Count);
            var worst = WorstWindow(starts.Select(s => s.At).ToList(), 1000);
            Assert.True(worst <= 50, $"a 1-second window holds {worst} starts (limit 50)");
            // Tally, in the fault ledger's style (docs/reliability.md).
            Console.WriteLine($"rate-limit tally: jobs=200 limit=50/s workers=4 served-by={starts.Select(s => s.Worker).Distinct().Count()} " +
                $"busiest-1s-window={worst} span-ms={starts.Max(s => s.At) - starts.Min(s => s.At)} script-calls={scripts}");
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_limit_lowered_while_jobs_run_lets_them_finish_and_new_starts_obey_it()
    {
        var options = TestOptions.For(redis.Server);
        await using var limits = await RedisQueueLimits.ConnectAsync(options);
        await limits.SetRateAsync("default", new RateLimit(20, TimeSpan.FromSeconds(2)));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 32 });
        await using var client = await RedisExecutor.ConnectAsync(options);

        var first = await client.EnqueueManyAsync(Sleep, Enumerable.Repeat(1500, 20));
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var db = mux.GetDatabase();
        await Wait.UntilAsync(async () => (await StartsAsync(options, first.Select(h => h.Id))).Count == 20, "the first 20 jobs started");

        // Lowered while those 20 run: they finish; each later start has fewer than 2 others in the 2 s before it.
        await limits.SetRateAsync("default", new RateLimit(2, TimeSpan.FromSeconds(2)));
        var later = await client.EnqueueManyAsync(Square, Enumerable.Range(1, 6));
        foreach (var h in first.Concat(later))
        {
            await client.WaitAsync<int>(h).WaitAsync(TestOptions.Guard);
        }

        var all = (await StartsAsync(options, first.Concat(later).Select(h => h.Id))).Select(s => s.At).ToList();
        foreach (var start in (await StartsAsync(options, later.Select(h => h.Id))).Select(s => s.At))
        {
            var before = all.Count(t => t > start - 2000 && t <= start) - 1;
            Assert.True(before < 2, $"a start after the limit was lowered to 2/2s had {before} other starts in the 2 s before it");
        }

        Assert.True(await limits.ClearRateAsync("default"));
        Assert.Null(await limits.GetRateAsync("default"));
        Assert.False(await limits.ClearRateAsync("default"));
        Assert.Equal(0, await db.KeyExistsAsync([$"{options.KeyPrefix}:{{default}}:rate", $"{options.KeyPrefix}:{{default}}:rate:log"]));
    }

    /// <summary>The most starts in any window [t, t + ms) that begins at a start (the busiest windows begin at one).</summary>
    internal static int WorstWindow(List<long> starts, long ms)
    {
        starts.Sort();
        var worst = 0;
        for (int i = 0, j = 0; i < starts.Count; i++)
        {
            while (j < starts.Count && starts[j] < starts[i] + ms)
            {
                j++;
            }

            worst = Math.Max(worst, j - i);
        }

        return worst;
    }

    /// <summary>How many EVAL and EVALSHA calls the Redis server has answered (INFO commandstats).</summary>
    private async Task<long> ScriptCallsAsync()
    {
        var info = await redis.Server.CliAsync("INFO", "commandstats");
        return info.Split('\n')
            .Where(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || l.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture));
    }

    /// <summary>Each started job's start stamp (Redis ms) and worker, read from its record.</summary>
    private async Task<List<(long At, string Worker)>> StartsAsync(RedisOptions options, IEnumerable<string> ids)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var db = mux.GetDatabase();
        var list = new List<(long, string)>();
        foreach (var id in ids)
        {
            var f = await db.HashGetAsync($"{options.KeyPrefix}:{{default}}:job:{id}", ["st", "w"]);
            if (long.TryParse((string?)f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var st))
            {
                list.Add((st, (string?)f[1] ?? ""));
            }
        }

        return list;
    }
}
