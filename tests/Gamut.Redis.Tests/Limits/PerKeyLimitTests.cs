using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Limits;

/// <summary>
/// Issue 17, at most N running per key: the take script counts each key's running deliveries and the scripts that
/// end a delivery free its slot. The assertions read the jobs' own start and end stamps (<c>st</c>, <c>fin</c>,
/// Redis' clock in the scripts that take and release the slot), never the time the test took.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class PerKeyLimitTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();

    [Fact]
    public async Task Two_per_key_holds_across_three_workers_and_every_slot_is_given_back()
    {
        var options = TestOptions.For(redis.Server);
        await using var limits = await RedisQueueLimits.ConnectAsync(options);
        await limits.SetPerKeyAsync("default", 2);
        Assert.Equal(2, await limits.GetPerKeyAsync("default"));
        var workers = new List<RedisWorker>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 8 }));
        }

        try
        {
            await using var client = await RedisExecutor.ConnectAsync(options);
            // 24 slots and 24 jobs: without the limit all 8 jobs of a key would run at once. Some jobs without a key
            // run beside them, unlimited.
            var handles = new List<(JobHandle Handle, string? Key)>();
            for (var j = 0; j < 8; j++)
            {
                foreach (var key in new[] { "cust-a", "cust-b", "cust-c" })
                {
                    handles.Add((await client.EnqueueAsync(Sleep, 100, new JobOptions { ConcurrencyKey = key }), key));
                }

                handles.Add((await client.EnqueueAsync(Sleep, 100), null));
            }

            foreach (var (h, _) in handles)
            {
                await client.WaitAsync<int>(h).WaitAsync(TestOptions.Guard);
            }

            var spans = await SpansAsync(options, handles.Select(h => h.Handle.Id));
            foreach (var key in new[] { "cust-a", "cust-b", "cust-c" })
            {
                var mine = handles.Where(h => h.Key == key).Select(h => spans[h.Handle.Id]).ToList();
                var most = MostOverlapping(mine);
                Assert.True(most <= 2, $"{most} jobs of {key} ran at once (limit 2)");
                Assert.Equal(0, await limits.RunningOfKeyAsync("default", key));
            }

            // The jobs without a key were not held back by the limit: more than 2 of them overlapped.
            var free = MostOverlapping([.. handles.Where(h => h.Key is null).Select(h => spans[h.Handle.Id])]);
            Assert.True(free > 2, $"only {free} jobs without a key overlapped: the limit held them back too");
            await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
            var counts = await mux.GetDatabase().HashGetAllAsync($"{options.KeyPrefix}:{{default}}:ck");
            Assert.Equal(["max"], counts.Select(e => (string)e.Name!));
            Console.WriteLine($"per-key tally: jobs=32 keys=3 limit=2 workers=3 most-overlapping-per-key={string.Join(',', new[] { "cust-a", "cust-b", "cust-c" }.Select(k => MostOverlapping([.. handles.Where(h => h.Key == k).Select(h => spans[h.Handle.Id])])))} unkeyed-overlap={free}");
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.DisposeAsync();
            }
        }

        Assert.True(await limits.ClearPerKeyAsync("default"));
        Assert.Null(await limits.GetPerKeyAsync("default"));
    }

    [Fact]
    public async Task A_worker_killed_mid_job_gives_its_slot_back_at_the_reap()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = "ck9";
        var options = TestOptions.For(server, prefix);
        await using var limits = await RedisQueueLimits.ConnectAsync(options);
        await limits.SetPerKeyAsync("default", 1);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var first = await client.EnqueueAsync(Sleep, 600_000, new JobOptions { ConcurrencyKey = "cust" });
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port}");
        var db = mux.GetDatabase();
        using (var doomed = WorkerProcess.Start(server, prefix, "default", 4, null))
        {
            await doomed.Ready.WaitAsync(TestOptions.Guard);
            await Wait.UntilAsync(async () => await db.HashGetAsync($"{prefix}:{{default}}:job:{first.Id}", "s") == "running", "the first job runs");
            Assert.Equal(1, await limits.RunningOfKeyAsync("default", "cust"));
            doomed.Kill();
        }

        // The same key's next job: it can start only once the killed worker's slot is free, which only the reap does.
        var second = await client.EnqueueAsync(Sleep, 1, new JobOptions { ConcurrencyKey = "cust" });
        // The survivor dead-letters a job whose worker died (no lost delivery allowed), so the first job does not
        // take the slot again for its 10 minutes.
        await using (var survivor = await RedisWorker.StartAsync(options with { MaxLostDeliveries = 0 }, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 4 }))
        {
            Assert.Equal(1, await client.WaitAsync<int>(second).WaitAsync(TestOptions.Guard));
        }

        var f = await db.HashGetAsync($"{prefix}:{{default}}:job:{first.Id}", ["s", "fin"]);
        Assert.Equal("dead", (string?)f[0]);
        var reapedAt = long.Parse((string)f[1]!, CultureInfo.InvariantCulture);
        var spans = await SpansAsync(options, [second.Id], server);
        Assert.True(spans[second.Id].Start >= reapedAt, "the second job of the key started before the killed worker's slot was given back");
        Assert.Equal(0, await limits.RunningOfKeyAsync("default", "cust"));
    }

    [Fact]
    public async Task A_slot_is_freed_once_per_delivery_whatever_the_fenced_outcomes_say()
    {
        // The scripts themselves, step by step: a reaped delivery's late outcome (refused by the fence) and a resent
        // outcome must not free the slot a second time.
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var db = mux.GetDatabase();
        var t = "pk" + Guid.NewGuid().ToString("N")[..6] + ":{q}:";
        var jp = t + "job:";
        await db.HashSetAsync(t + "ck", "max", 1);
        foreach (var id in new[] { "j1", "j2" })
        {
            await db.HashSetAsync(jp + id, [new("n", "test"), new("p", "1"), new("c", 0), new("s", "queued"), new("ck", "cust")]);
            await db.ListLeftPushAsync(t + "queue", id);
        }

        async Task<RedisResult[]> TakeAsync(string w) => (RedisResult[])(await db.ScriptEvaluateAsync(Gamut.Redis.Scripts.LuaScripts.Take,
            [t + "queue", t + "delayed", t + "active:" + w, t + "stats", t + "dead"], [jp, w, 10, 1_000_000, 100, 60_000, "q"]))!;
        async Task<string> CompleteAsync(string w, string id, int fence)
        {
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Gamut.Redis.Scripts.LuaScripts.Complete,
                [t + "active:" + w, t + "queue", t + "delayed", t + "stats", t + "dead", t + "dups"], [jp, w, 1, 60_000, 60_000, 100, "q", t + "wake", id, fence, "ok", "1", ""]))!;
            return (string)r[0]!;
        }

        async Task<long> CountAsync() => (long?)await db.HashGetAsync(t + "ck", "k:cust") ?? 0;
        static string[] Ids(RedisResult[] take) => [.. ((RedisResult[])take[0]!).Select(j => (string)((RedisResult[])j!)[1]!)];

        Assert.Equal(["j1"], Ids(await TakeAsync("w1")));
        Assert.Equal(1, await CountAsync());
        // The key is full: j2 stays in the ready list, and the worker is told to wait (not to ask again at once).
        var refused = await TakeAsync("w2");
        Assert.Empty(Ids(refused));
        Assert.Equal("1000", (string?)refused[2]);
        Assert.Equal(["j2"], (await db.ListRangeAsync(t + "queue")).Select(v => (string)v!));
        Assert.Equal(0, await db.ListLengthAsync(t + "active:w2"));

        // w1 is presumed dead (no heartbeat key): the reap frees its slot and requeues j1 at the taking end.
        var reaped = (RedisResult[])(await db.ScriptEvaluateAsync(Gamut.Redis.Scripts.LuaScripts.Reap,
            [t + "active:w1", t + "queue", t + "hb:w1", t + "stats", t + "dead", t + "workers", t + "cancels:w1", t + "raw"], [jp, "w1", 5, 60_000, 100, "q", t + "wake", 60_000]))!;
        Assert.Equal(1, (int)reaped[0]);
        Assert.Equal(0, await CountAsync());
        Assert.Equal(["j1"], Ids(await TakeAsync("w2")));
        Assert.Equal(1, await CountAsync());

        // w1's late outcome of delivery 1 is refused and frees nothing; w2's frees the slot once, a resend nothing.
        Assert.Equal("duplicate", await CompleteAsync("w1", "j1", 1));
        Assert.Equal(1, await CountAsync());
        Assert.Equal("ok", await CompleteAsync("w2", "j1", 2));
        Assert.Equal(0, await CountAsync());
        Assert.Equal("already", await CompleteAsync("w2", "j1", 2));
        Assert.False(await db.HashExistsAsync(t + "ck", "k:cust"));
        Assert.Equal(["j2"], Ids(await TakeAsync("w2")));
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task A_bad_concurrency_key_or_limit_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new JobOptions { ConcurrencyKey = "a b" }.Validate());
        Assert.Throws<ArgumentException>(() => new JobOptions { ConcurrencyKey = "" }.Validate());
        Assert.Throws<ArgumentException>(() => new JobOptions { ConcurrencyKey = new string('k', 201) }.Validate());
        new JobOptions { ConcurrencyKey = "tenant:42+eu" }.Validate();
        await using var limits = await RedisQueueLimits.ConnectAsync(TestOptions.For(redis.Server));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limits.SetPerKeyAsync("default", 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limits.SetPerKeyAsync("default", RedisQueueLimits.MaxPerKey + 1));
        Assert.Null(await limits.GetPerKeyAsync("default"));
    }

    /// <summary>The most intervals [start, end) that hold one instant.</summary>
    internal static int MostOverlapping(List<(long Start, long End)> spans)
    {
        // Ends sort before starts at the same ms: a slot freed and taken in the same ms is not an overlap.
        var events = spans.SelectMany(s => new[] { (At: s.Start, Delta: 1), (At: s.End, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int now = 0, most = 0;
        foreach (var (_, delta) in events)
        {
            now += delta;
            most = Math.Max(most, now);
        }

        return most;
    }

    /// <summary>Each job's start and end stamps (Redis ms), read from its record.</summary>
    private async Task<Dictionary<string, (long Start, long End)>> SpansAsync(RedisOptions options, IEnumerable<string> ids, RedisServer? server = null)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{(server ?? redis.Server).Port}");
        var db = mux.GetDatabase();
        var spans = new Dictionary<string, (long, long)>();
        foreach (var id in ids)
        {
            var f = await db.HashGetAsync($"{options.KeyPrefix}:{{default}}:job:{id}", ["st", "fin"]);
            spans[id] = (long.Parse((string)f[0]!, CultureInfo.InvariantCulture), long.Parse((string)f[1]!, CultureInfo.InvariantCulture));
        }

        return spans;
    }
}
