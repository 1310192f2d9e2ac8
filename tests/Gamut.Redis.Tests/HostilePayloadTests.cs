using System.Text;
using System.Text.Json;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests;

/// <summary>RELIABILITY.md RQ-9 and §5.3: entries pushed into a live queue by another client with redis-cli.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class HostilePayloadTests(SharedRedis redis, ITestOutputHelper output)
{
    [Fact]
    public async Task RQ9_hostile_entries_are_dead_lettered_with_specific_reasons_while_good_jobs_keep_flowing()
    {
        var server = redis.Server;
        var options = TestOptions.For(server).WithMaxPayloadBytes(64 * 1024);
        var p = options.KeyPrefix;
        var queue = $"{p}:{{default}}:queue";
        var job = $"{p}:{{default}}:job:";
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["default", "second"], Concurrency = 4 });
        await using var client = await RedisExecutor.ConnectAsync(options);
        var square = JobRef.To<SquareJob, int, int>();
        var existing = await client.EnqueueAsync(square, 2);
        Assert.Equal(4, await client.WaitAsync<int>(existing).WaitAsync(TestOptions.Guard));

        // The second queue's key is a string: taking from it fails, the first queue must keep working.
        await server.CliAsync("SET", $"{p}:{{second}}:queue", "not a list");

        string Env(string id, string name, string payload, int v = 1) => $"{{\"v\":{v},\"id\":\"{id}\",\"name\":\"{name}\",\"payload\":{payload}}}";
        var hostile = new (string Entry, string Reason)[]
        {
            ("not json at all", "not-json"),
            ("{\"v\":1,\"id\":\"trunc1\",\"name\":\"test.square\",\"payload\":", "not-json"),
            ("[1,2,3]", "wrong-shape"),
            ("\"just a string\"", "wrong-shape"),
            ("42", "missing-record"),
            ("{\"v\":1,\"name\":\"test.square\",\"payload\":1}", "missing-field"),
            ("{\"v\":1,\"id\":\"noname1\",\"payload\":1}", "missing-field"),
            ("{\"id\":\"nov1\",\"name\":\"test.square\",\"payload\":1}", "missing-field"),
            (Env(existing.Id, "test.square", "3"), "duplicate-id"),
            (Env("has space", "test.square", "1"), "invalid-field"),
            (Env("a:{b}", "test.square", "1"), "invalid-field"),
            (Env(new string('x', 10_000), "test.square", "1"), "invalid-field"),
            (Env("unknown1", "no.such.job", "1"), "unknown-job"),
            (Env("typename1", "System.Diagnostics.Process", "1"), "unknown-job"),
            (Env("typename2", "System.Diagnostics.Process, System", "1"), "invalid-field"),
            (Env("huge1", "test.square", "1e400"), "bad-payload"),
            (Env("nan1", "test.square", "\"NaN\""), "bad-payload"),
            (Env("deep1", "test.square", new string('[', 10_000) + new string(']', 10_000)), "not-json"),
            (Env("old1", "test.square", "1", v: 0), "unsupported-version"),
            (Env("future1", "test.square", "1", v: 2), "unsupported-version"),
            ("{\"v\":1,\"id\":\"to0\",\"name\":\"test.square\",\"payload\":1,\"timeoutMs\":0}", "invalid-field"),
            ("{\"v\":1,\"id\":\"many1\",\"name\":\"test.square\",\"payload\":1,\"maxAttempts\":1e9}", "invalid-field"),
            (Env("big1", "test.echo", "\"" + new string('y', 64 * 1024) + "\""), "too-large"),
        };

        var good = new List<Task<int>>();
        var expected = new List<string>();
        var i = 0;
        foreach (var (entry, reason) in hostile)
        {
            good.Add(client.SubmitAsync(square, i++));
            await server.CliWithStdinAsync(Encoding.UTF8.GetBytes(entry), "LPUSH", queue);
            expected.Add(reason);
        }

        // Binary garbage, NUL and invalid UTF-8, and a BOM before valid JSON.
        await server.CliWithStdinAsync([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28], "LPUSH", queue);
        expected.Add("not-json");
        await server.CliWithStdinAsync([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Env("bom1", "test.square", "1"))], "LPUSH", queue);
        expected.Add("not-json");

        // Records written by hand: a payload over the limit, an attempt counter that is not a number or negative,
        // a job key of the wrong type.
        await server.CliAsync("HSET", job + "bigrec", "n", "test.echo", "s", "queued", "p", "\"" + new string('z', 70 * 1024) + "\"");
        await server.CliAsync("LPUSH", queue, "bigrec");
        expected.Add("too-large");
        await server.CliAsync("HSET", job + "badattempt", "n", "test.square", "s", "queued", "p", "1", "a", "notanumber");
        await server.CliAsync("LPUSH", queue, "badattempt");
        expected.Add("bad-record");
        await server.CliAsync("HSET", job + "negattempt", "n", "test.square", "s", "queued", "p", "1", "a", "-5");
        await server.CliAsync("LPUSH", queue, "negattempt");
        expected.Add("bad-record");
        await server.CliAsync("SET", job + "strjob", "x");
        await server.CliAsync("LPUSH", queue, "strjob");
        expected.Add("bad-record");

        // A $type field is data, never a type to load.
        var typed = await client.EnqueueAsync(JobRef.To<TextJob, TextInput, string>(), new TextInput("plain"));
        await server.CliWithStdinAsync(Encoding.UTF8.GetBytes(Env("typed1", "test.text", "{\"$type\":\"System.Diagnostics.Process, System\",\"__type\":\"x\",\"@class\":\"y\",\"text\":\"hi\"}")), "LPUSH", queue);

        for (var k = 0; k < 200; k++)
        {
            good.Add(client.SubmitAsync(square, k));
        }

        var results = await Task.WhenAll(good).WaitAsync(TestOptions.Guard);
        Assert.Equal(good.Count, results.Length);
        Assert.Equal("plain", await client.WaitAsync<string>(typed).WaitAsync(TestOptions.Guard));
        Assert.Equal("hi", await client.WaitAsync<string>(new JobHandle("default", "typed1")).WaitAsync(TestOptions.Guard));

        var deadKey = $"{p}:{{default}}:dead";
        await Wait.UntilAsync(async () => int.Parse(await server.CliAsync("LLEN", deadKey)) >= expected.Count, "every hostile entry dead-lettered");
        var entries = (await server.CliAsync("LRANGE", deadKey, "0", "-1")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var reasons = entries.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("reason").GetString()!).ToList();
        foreach (var e in entries)
        {
            output.WriteLine(e.Length > 300 ? e[..300] : e);
        }

        Assert.Equal(expected.Order(), reasons.Order());
        Assert.Equal("0", await server.CliAsync("LLEN", queue));
        Assert.Equal("0", await server.CliAsync("LLEN", $"{p}:{{default}}:active:{worker.Id}"));
        var byWorker = reasons.Count(r => r is not ("missing-record" or "too-large" or "bad-record"));
        await Wait.UntilAsync(() => Task.FromResult(worker.Counters.DeadLettered == byWorker), "the worker counted what it dead-lettered");
    }
}
