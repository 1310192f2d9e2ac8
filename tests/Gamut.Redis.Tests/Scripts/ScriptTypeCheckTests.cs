using Gamut.Redis.Scripts;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Scripts;

/// <summary>
/// Issue 12: Redis does not roll a script back, so a write that hits a key of the wrong type halfway through leaves
/// the writes before it done (a job record <c>queued</c> in no list, a cancelled job still <c>queued</c>, a raw entry
/// that vanished). Each script runs here against a small queue with one of the keys it writes made the wrong type:
/// every key under the test's tag is the same before and after, and the caller's error names the key.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ScriptTypeCheckTests(SharedRedis redis)
{
    /// <summary>One script call: its name, KEYS and ARGV (built from the test's key tag T), and the keys to break, each with the type Gamut keeps there.</summary>
    public sealed record Case(string Script, Func<string, string[]> Keys, Func<string, string[]> Args, (string Key, string Type)[] Breaks);

    private static readonly Case[] Cases =
    [
        new("enqueue", t => [$"{t}:ready", $"{t}:delayed", $"{t}:stats", $"{t}:ring"], t => [$"{t}:job:", "2", $"{t}:wake", "n1", "test", "1", "0", "0", "n2", "test", "2", "5000", "0"],
            [("ready", "list"), ("delayed", "zset"), ("stats", "hash"), ("ring", "hash"), ("job:n2", "hash")]),
        // A unique job: its key P:{Q}:uniq:KEY is written too.
        new("enqueue", t => [$"{t}:ready", $"{t}:delayed", $"{t}:stats"], t => [$"{t}:job:", "1", $"{t}:wake", "n3", "test", "1", "0", "2", "uq", "u1", "uw", "60000"],
            [("uniq:u1", "string")]),
        new("take", t => [$"{t}:ready", $"{t}:delayed", $"{t}:active:w9", $"{t}:stats", $"{t}:dead"], t => [$"{t}:job:", "w9", "10", "1000000", "100", "60000", "q"],
            [("ready", "list"), ("delayed", "zset"), ("active:w9", "list"), ("stats", "hash"), ("dead", "list"), ("ck", "hash")]),
        // With a rate limit (issue 17): the limit is read and the log of starts written.
        new("take", t => [$"{t}:ready", $"{t}:delayed", $"{t}:active:w9", $"{t}:stats", $"{t}:dead", $"{t}:paused", $"{t}:rate", $"{t}:rate:log"], t => [$"{t}:job:", "w9", "10", "1000000", "100", "60000", "q"],
            [("rate", "hash"), ("rate:log", "zset")]),
        new("complete", t => [$"{t}:active:w1", $"{t}:ready", $"{t}:delayed", $"{t}:stats", $"{t}:dead", $"{t}:dups"], t => [$"{t}:job:", "w1", "1", "60000", "60000", "100", "q", $"{t}:wake", "j2", "1", "ok", "42", ""],
            [("active:w1", "list"), ("ready", "list"), ("delayed", "zset"), ("stats", "hash"), ("dead", "list"), ("dups", "list"), ("ck", "hash")]),
        // A workflow's member: its end writes the workflow hash and the running index (derived from the record's wf).
        new("complete", t => [$"{t}:active:w1", $"{t}:ready", $"{t}:delayed", $"{t}:stats", $"{t}:dead", $"{t}:dups"], t => [$"{t}:job:", "w1", "1", "60000", "60000", "100", "q", $"{t}:wake", "j5", "1", "ok", "42", ""],
            [("wf:f1", "hash"), ("wfs", "set")]),
        new("workflow-start", t => [$"{t}:wf:f9", $"{t}:ready", $"{t}:delayed", $"{t}:stats", $"{t}:wfs"], t => [$"{t}:job:", "f9", $"{t}:wake", "q", "stop", "", "1", "1", "2", "k:1", "j", "n:1", "test"],
            [("wf:f9", "hash"), ("ready", "list"), ("delayed", "zset"), ("stats", "hash"), ("wfs", "set"), ("job:f9.1", "hash")]),
        new("workflow-cancel", t => [$"{t}:wf:f1", $"{t}:delayed", $"{t}:stats", $"{t}:wfs"], t => [$"{t}:job:", "f1", "q", "60000"],
            [("delayed", "zset"), ("stats", "hash"), ("wfs", "set"), ("job:f1.3", "hash")]),
        new("adopt", t => [$"{t}:active:w1", $"{t}:stats", $"{t}:dead", $"{t}:job:new"], t => ["RAW", "w1", "new", "test", "1", "1", "", "0", "{}", "100"],
            [("active:w1", "list"), ("stats", "hash"), ("dead", "list")]),
        new("rawdead", t => [$"{t}:active:w1", $"{t}:dead", $"{t}:stats"], t => ["RAW", "{}", "100"],
            [("active:w1", "list"), ("dead", "list"), ("stats", "hash")]),
        new("reap", t => [$"{t}:active:w1", $"{t}:ready", $"{t}:hb:w1", $"{t}:stats", $"{t}:dead", $"{t}:workers", $"{t}:cancels:w1", $"{t}:raw"], t => [$"{t}:job:", "w1", "5", "60000", "100", "q", $"{t}:wake", "60000"],
            [("active:w1", "list"), ("ready", "list"), ("stats", "hash"), ("dead", "list"), ("workers", "set"), ("raw", "hash"), ("ck", "hash")]),
        new("heartbeat", t => [$"{t}:hb:w1", $"{t}:workers", $"{t}:cancels:w1"], t => ["w1", "60000", "{}"],
            [("workers", "set"), ("cancels:w1", "set")]),
        new("deregister", t => [$"{t}:hb:w2", $"{t}:workers", $"{t}:active:w2", $"{t}:cancels:w2"], t => ["w2"],
            [("workers", "set"), ("active:w2", "list")]),
        new("cancel", t => [$"{t}:job:j1", $"{t}:ready", $"{t}:delayed", $"{t}:stats"], t => ["j1", "60000", $"{t}:cancels:", $"{t}:control:", "q"],
            [("ready", "list"), ("delayed", "zset"), ("stats", "hash")]),
        new("cancel", t => [$"{t}:job:j2", $"{t}:ready", $"{t}:delayed", $"{t}:stats"], t => ["j2", "60000", $"{t}:cancels:", $"{t}:control:", "q"],
            [("cancels:w1", "set")]),
        new("progress", t => [$"{t}:job:j2"], t => ["1", "w1", "{}", "q", "j2"], [("job:j2", "hash")]),
        new("reclaim", t => [$"{t}:active:w1", $"{t}:ready", $"{t}:stats"], t => [$"{t}:job:", "w1", $"{t}:wake", "j2"],
            [("active:w1", "list"), ("ready", "list"), ("stats", "hash"), ("ck", "hash")]),
        new("lock-acquire", t => [$"{t}:lock2", $"{t}:fence"], t => ["tok2", "60000"], [("lock2", "string"), ("fence", "string")]),
        new("lock-release", t => [$"{t}:lock"], t => ["tok", $"{t}:chan"], [("lock", "string")]),
        new("lock-renew", t => [$"{t}:lock"], t => ["tok", "60000"], [("lock", "string")]),
        new("queue-push", t => [$"{t}:items", $"{t}:closed"], t => ["b", "10", $"{t}:chan"], [("items", "list")]),
        new("queue-pop", t => [$"{t}:items", $"{t}:closed"], t => [$"{t}:chan"], [("items", "list")]),
        new("ring-set", t => [$"{t}:ring"], t => ["2", "b", "{}", "member"], [("ring", "hash")]),
        new("pending-add", t => [$"{t}:pending", $"{t}:ended"], t => ["q j7", "q j8"], [("pending", "set"), ("ended", "zset")]),
        new("pending-end", t => [$"{t}:pending", $"{t}:ended"], t => ["1000000", "q j9", "q j6"], [("pending", "set"), ("ended", "zset")]),
        new("scan", t => [$"{t}:workers"], t => [$"{t}:hb:"], [("workers", "set")]),
        new("admin-delete", t => [$"{t}:job:j1", $"{t}:ready", $"{t}:delayed", $"{t}:dead"], t => ["j1"],
            [("ready", "list"), ("delayed", "zset"), ("dead", "list")]),
        new("admin-pause", t => [$"{t}:paused"], t => ["1", $"{t}:wake"], [("paused", "string")]),
        new("admin-retry", t => [$"{t}:job:j4", $"{t}:ready", $"{t}:stats", $"{t}:dead"], t => ["j4", $"{t}:wake"],
            [("ready", "list"), ("stats", "hash"), ("dead", "list")]),
        new("schedule-add", t => [$"{t}:schedule:s2", $"{t}:schedules"], t => ["s2", "* * * * *", "UTC", "test", "1", "once", "", "0"],
            [("schedule:s2", "hash"), ("schedules", "set")]),
        new("schedule-fire", t => [$"{t}:schedule:s1", $"{t}:ready", $"{t}:stats"], t => [$"{t}:job:", $"{t}:wake", "1000", "1", "2000", "s1", "sched.s1.a", "sched.s1.b"],
            [("schedule:s1", "hash"), ("ready", "list"), ("stats", "hash"), ("job:sched.s1.b", "hash")]),
        new("schedule-remove", t => [$"{t}:schedule:s1", $"{t}:schedules"], t => ["s1"], [("schedule:s1", "hash"), ("schedules", "set")]),
        new("schedule-pause", t => [$"{t}:schedule:s1"], t => ["1"], [("schedule:s1", "hash")]),
    ];

    public static TheoryData<int, int> Breaks()
    {
        var data = new TheoryData<int, int>();
        for (var c = 0; c < Cases.Length; c++)
        {
            for (var b = 0; b < Cases[c].Breaks.Length; b++)
            {
                data.Add(c, b);
            }
        }

        return data;
    }

    // Every script is embedded as prelude + body; the tests call them as Gamut does.
    private static string Source(string script) =>
        (string)typeof(LuaScripts).GetField(FieldName(script), System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.IgnoreCase)!.GetValue(null)!;

    private static string FieldName(string script) => script.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    [Fact]
    public void Every_script_that_writes_is_covered()
    {
        var covered = Cases.Select(c => c.Script).ToHashSet();
        var all = typeof(LuaScripts).GetFields().Select(f => f.Name.ToLowerInvariant()).ToHashSet();
        // watch writes only the job record it checks first (a record of another type is 'missing'): nothing to break.
        Assert.Equal(all.Order(), covered.Select(FieldName).Append("watch").Order());
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task A_key_of_the_wrong_type_stops_the_script_before_any_write_and_the_error_names_it(int caseIndex, int breakIndex)
    {
        var c = Cases[caseIndex];
        var (suffix, type) = c.Breaks[breakIndex];
        var tag = "{st" + Guid.NewGuid().ToString("N")[..10] + "}";
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var db = mux.GetDatabase();
        await SeedAsync(db, tag);
        var broken = $"{tag}:{suffix}";
        await db.KeyDeleteAsync(broken);
        if (type == "string")
        {
            await db.ListRightPushAsync(broken, "not a string");
        }
        else
        {
            await db.StringSetAsync(broken, "not a " + type);
        }

        var before = await SnapshotAsync(mux, db, tag);
        var error = await Assert.ThrowsAsync<RedisServerException>(() =>
            db.ScriptEvaluateAsync(Source(c.Script), [.. c.Keys(tag).Select(k => (RedisKey)k)], [.. c.Args(tag).Select(a => (RedisValue)a)]));
        var after = await SnapshotAsync(mux, db, tag);

        var typed = RedisKeyTypeException.From(error);
        Assert.True(typed is not null, $"{c.Script}: not a typed refusal: {error.Message}");
        Assert.Equal(broken, typed.Key);
        Assert.Equal(type, typed.ExpectedType);
        Assert.Equal(type == "string" ? "list" : "string", typed.ActualType);
        Assert.Contains(broken, typed.Message, StringComparison.Ordinal);
        Assert.Equal(before, after);
    }

    /// <summary>A small queue in use: a queued, a running, a due delayed and a dead-lettered job, a raw entry in flight, counters, a dead letter, a lock, a ring, a pending index.</summary>
    private static async Task SeedAsync(IDatabase db, string t)
    {
        await db.HashSetAsync($"{t}:job:j1", [new("s", "queued"), new("n", "test"), new("p", "1"), new("c", "0")]);
        await db.HashSetAsync($"{t}:job:j2", [new("s", "running"), new("w", "w1"), new("a", "1"), new("n", "test"), new("p", "2"), new("c", "0")]);
        await db.HashSetAsync($"{t}:job:j3", [new("s", "delayed"), new("n", "test"), new("p", "3"), new("c", "0")]);
        await db.ListLeftPushAsync($"{t}:ready", "j1");
        await db.ListLeftPushAsync($"{t}:active:w1", ["j2", "RAW"]);
        await db.SortedSetAddAsync($"{t}:delayed", "j3", 0);
        await db.HashSetAsync($"{t}:stats", "enqueued", 3);
        await db.HashSetAsync($"{t}:job:j4", [new("s", "dead"), new("n", "test"), new("p", "4"), new("c", "0")]);
        await db.ListLeftPushAsync($"{t}:dead", ["{}", "{\"id\":\"j4\"}"]);
        await db.ListLeftPushAsync($"{t}:dups", "x");
        await db.SetAddAsync($"{t}:workers", ["w1", "w2"]);
        await db.SetAddAsync($"{t}:cancels:w1", "zz");
        await db.HashSetAsync($"{t}:raw", "h", 1);
        await db.HashSetAsync($"{t}:ring", [new("v", "1"), new("fp", "a"), new("json", "{}"), new("state", "member")]);
        await db.StringSetAsync($"{t}:lock", "tok");
        await db.StringSetAsync($"{t}:fence", "5");
        await db.ListLeftPushAsync($"{t}:items", "a");
        await db.SetAddAsync($"{t}:pending", ["q j9", "q j7"]);
        await db.SortedSetAddAsync($"{t}:ended", "q j8", 0);
        await db.HashSetAsync($"{t}:schedule:s1", [new("cron", "* * * * *"), new("tz", "UTC"), new("n", "test"), new("p", "1"), new("mf", "once"), new("lt", "1000"), new("v", "1")]);
        await db.SetAddAsync($"{t}:schedules", "s1");
        // A running chord of workflow f1: group 1 of jobs 2 (running as j5 would) and 3 (queued), callback-less.
        await db.HashSetAsync($"{t}:job:j5", [new("s", "running"), new("w", "w1"), new("a", "1"), new("n", "test"), new("c", "0"), new("wf", "f1"), new("wn", "2")]);
        await db.HashSetAsync($"{t}:job:f1.3", [new("s", "queued"), new("n", "test"), new("p", "3"), new("c", "0"), new("wf", "f1"), new("wn", "3")]);
        await db.HashSetAsync($"{t}:wf:f1", [new("s", "running"), new("pol", "stop"), new("nn", "3"), new("k:1", "g"), new("nc:1", "2"), new("c:1:1", "2"), new("c:1:2", "3"),
            new("k:2", "j"), new("u:2", "1"), new("o:2", "1"), new("k:3", "j"), new("u:3", "1"), new("o:3", "2"), new("left:1", "2")]);
        await db.SetAddAsync($"{t}:wfs", "f1");
    }

    /// <summary>Every key under the tag: its type, its serialized value (DUMP) and whether it has a TTL.</summary>
    private static async Task<string> SnapshotAsync(ConnectionMultiplexer mux, IDatabase db, string tag)
    {
        var server = mux.GetServers()[0];
        var rows = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: tag + "*"))
        {
            var dump = await db.KeyDumpAsync(key);
            var ttl = await db.KeyTimeToLiveAsync(key);
            rows.Add($"{key} {await db.KeyTypeAsync(key)} {Convert.ToBase64String(dump!)} ttl={ttl is not null}");
        }

        rows.Sort(StringComparer.Ordinal);
        return string.Join("\n", rows);
    }
}
