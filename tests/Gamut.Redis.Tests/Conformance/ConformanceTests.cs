using System.Globalization;
using System.Text.Json.Nodes;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Sdk;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>
/// The language-neutral conformance suite (conformance/cases/*.json) run against the .NET implementation on a real
/// redis-server: each case's state is written under a fresh prefix, its operations run as Gamut's client and worker
/// make them, and the replies, the messages published and every key after are compared. Other clients run the same
/// files (clients/python/tests/conformance.py).
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ConformanceTests(SharedRedis redis) : IAsyncLifetime
{
    private ConnectionMultiplexer _mux = null!;

    public static TheoryData<string, int, string> Cases => ConformanceCases.All();

    public async Task InitializeAsync() =>
        _mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port},allowAdmin=true");

    public async Task DisposeAsync() => await _mux.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_dotnet_implementation_passes_the_conformance_case(string file, int index, string name)
    {
        var prefix = "cf" + Guid.NewGuid().ToString("N")[..10];
        var c = ConformanceCases.Get(file, index, prefix);
        Assert.Equal(name, ((string)c["name"]!).Replace(prefix, "$P", StringComparison.Ordinal));
        var db = _mux.GetDatabase();
        foreach (var (key, spec) in c["before"]?.AsObject() ?? [])
        {
            await WriteAsync(db, key, spec!.AsObject());
        }

        var messages = await _mux.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(prefix + ":*"));
        var ops = new ConformanceOperations(db, prefix);
        var from = await NowAsync();
        var to = from;
        var steps = c["steps"]!.AsArray();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i]!.AsObject();
            var where = $"step {i + 1} ({step["op"]})";
            JsonNode? reply = null;
            try
            {
                reply = await ops.RunAsync(step);
                if (step["error"] is { } error)
                {
                    throw new XunitException($"{where}: expected an error starting '{error}', got {reply?.ToJsonString()}");
                }
            }
            catch (RedisServerException e) when (step["error"] is { } error && e.Message.StartsWith((string)error!, StringComparison.Ordinal))
            {
            }

            to = await NowAsync();
            if (step.ContainsKey("reply"))
            {
                ConformanceMatch.Match(step["reply"], reply, (from, to), where + " reply");
            }

            // Everything the step published arrives before this sentinel (one connection delivers in order).
            var sentinel = prefix + ":sentinel";
            await _mux.GetSubscriber().PublishAsync(RedisChannel.Literal(sentinel), "end");
            var got = new List<(string Channel, string Message)>();
            while (true)
            {
                var m = await messages.ReadAsync().AsTask().WaitAsync(TestOptions.Guard);
                if (m.Channel.ToString() == sentinel)
                {
                    break;
                }

                got.Add((m.Channel.ToString(), (string)m.Message!));
            }

            if (step["published"] is JsonArray expected)
            {
                Assert.True(expected.Count == got.Count, $"{where}: expected {expected.Count} messages, got [{string.Join(" | ", got.Select(g => g.Channel + " " + g.Message))}]");
                for (var k = 0; k < got.Count; k++)
                {
                    var e = expected[k]!.AsObject();
                    ConformanceMatch.Match(e["channel"], got[k].Channel, (from, to), $"{where} message {k} channel");
                    if (e.ContainsKey("message"))
                    {
                        ConformanceMatch.Match(e["message"], got[k].Message, (from, to), $"{where} message {k}");
                    }
                    else
                    {
                        var nl = got[k].Message.IndexOf('\n', StringComparison.Ordinal);
                        ConformanceMatch.Match(e["header"], got[k].Message[..nl], (from, to), $"{where} message {k} header");
                        ConformanceMatch.Match(new JsonObject { ["$json"] = e["json"]!.DeepClone() }, got[k].Message[(nl + 1)..], (from, to), $"{where} message {k} body");
                    }
                }
            }
        }

        await messages.UnsubscribeAsync();
        var server = _mux.GetServer(_mux.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: prefix + ":*", pageSize: 1000))
        {
            if (key.ToString() != prefix + ":layout")
            {
                keys.Add(key.ToString());
            }
        }

        var after = c["after"]?.AsObject() ?? [];
        Assert.Equal(after.Select(p => p.Key).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        foreach (var (key, node) in after)
        {
            var spec = node!.AsObject();
            var kind = spec.Select(p => p.Key).Single(k => k != "ttl");
            ConformanceMatch.Match(new JsonObject { [kind] = spec[kind]!.DeepClone() }, await ReadAsync(db, key), (from, to), key);
            if (spec["ttl"] is { } ttl)
            {
                var left = await db.KeyTimeToLiveAsync(key);
                Assert.True((bool)ttl! ? left > TimeSpan.Zero : left is null, $"{key}: expected {((bool)ttl! ? "an expiry" : "no expiry")}, got {left}");
            }

            await db.KeyDeleteAsync(key);
        }
    }

    private async Task<long> NowAsync()
    {
        var t = (RedisResult[])(await _mux.GetDatabase().ExecuteAsync("TIME"))!;
        return (long.Parse((string)t[0]!, CultureInfo.InvariantCulture) * 1000) + (long.Parse((string)t[1]!, CultureInfo.InvariantCulture) / 1000);
    }

    private static async Task WriteAsync(IDatabase db, string key, JsonObject spec)
    {
        if (spec["hash"] is JsonObject h)
        {
            await db.HashSetAsync(key, [.. h.Select(p => new HashEntry(p.Key, (string)p.Value!))]);
        }
        else if (spec["list"] is JsonArray l)
        {
            await db.ListRightPushAsync(key, [.. l.Select(v => (RedisValue)(string)v!)]);
        }
        else if (spec["set"] is JsonArray s)
        {
            await db.SetAddAsync(key, [.. s.Select(v => (RedisValue)(string)v!)]);
        }
        else if (spec["zset"] is JsonObject z)
        {
            await db.SortedSetAddAsync(key, [.. z.Select(p => new SortedSetEntry(p.Key, (double)p.Value!))]);
        }
        else if (spec["string"] is JsonValue str)
        {
            await db.StringSetAsync(key, (string)str!);
        }
    }

    private static async Task<JsonNode> ReadAsync(IDatabase db, string key)
    {
        switch (await db.KeyTypeAsync(key))
        {
            case RedisType.Hash:
                var hash = new JsonObject();
                foreach (var e in await db.HashGetAllAsync(key))
                {
                    hash[(string)e.Name!] = (string?)e.Value;
                }

                return new JsonObject { ["hash"] = hash };
            case RedisType.List:
                return new JsonObject { ["list"] = new JsonArray([.. (await db.ListRangeAsync(key)).Select(v => JsonValue.Create((string?)v))]) };
            case RedisType.Set:
                return new JsonObject { ["set"] = new JsonArray([.. (await db.SetMembersAsync(key)).Select(v => (string)v!).Order(StringComparer.Ordinal).Select(v => JsonValue.Create(v))]) };
            case RedisType.SortedSet:
                var zset = new JsonObject();
                foreach (var e in await db.SortedSetRangeByRankWithScoresAsync(key))
                {
                    zset[(string)e.Element!] = e.Score;
                }

                return new JsonObject { ["zset"] = zset };
            case RedisType.String:
                return new JsonObject { ["string"] = (string?)await db.StringGetAsync(key) };
            case var other:
                return new JsonObject { [other.ToString().ToLowerInvariant()] = null };
        }
    }
}
