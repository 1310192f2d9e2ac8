using System.Globalization;
using System.Text.Json.Nodes;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>
/// The suite's operations, each as Gamut's .NET client or worker makes it: the keys from <see cref="QueueKeys"/> and
/// <see cref="GlobalKeys"/>, the scripts from <see cref="LuaScripts"/> (the prelude joined to each body), the
/// arguments in the order the call sites send them. Replies come back in the suite's normalised shapes.
/// </summary>
public sealed class ConformanceOperations(IDatabase db, string prefix)
{
    private const long ResultTtl = 3_600_000;
    private const long FailedTtl = 604_800_000;
    private const long DeadMax = 10_000;

    public async Task<JsonNode?> RunAsync(JsonObject s)
    {
        var op = Str(s, "op");
        var q = new QueueKeys(prefix, Str(s, "queue") ?? "default");
        var global = new GlobalKeys(prefix);
        return op switch
        {
            "enqueue" => Strings(await EvalAsync(LuaScripts.Enqueue, [q.Ready, q.Delayed, q.Stats], EnqueueArgs(q, s["jobs"]!.AsArray()))),
            "take" => Take(await EvalAsync(LuaScripts.Take, [q.Ready, q.Delayed, q.Active(Str(s, "worker")!), q.Stats, q.Dead, q.Paused, q.RateLimit, q.RateLog],
                [q.JobPrefix, Str(s, "worker"), Long(s, "max", 1), Long(s, "maxPayloadBytes", 16 * 1024 * 1024), Long(s, "deadMax", DeadMax), Long(s, "failedTtlMs", FailedTtl), q.Queue])),
            "complete" => Strings(await EvalAsync(LuaScripts.Complete, [q.Active(Str(s, "worker")!), q.Ready, q.Delayed, q.Stats, q.Dead, q.Duplicates], CompleteArgs(q, s))),
            "adopt" => Scalar(await EvalAsync(LuaScripts.Adopt, [q.Active(Str(s, "worker")!), q.Stats, q.Dead, q.Job(Str(s, "id")!)],
                [Str(s, "raw"), Str(s, "worker"), Str(s, "id"), Str(s, "name"), Str(s, "payload"), Long(s, "maxAttempts", 1),
                 s["timeoutMs"] is null ? "" : (RedisValue)Long(s, "timeoutMs", 0), Long(s, "createdAt", 0), Str(s, "duplicateEntry"), Long(s, "deadMax", DeadMax)])),
            "rawdead" => Scalar(await EvalAsync(LuaScripts.RawDead, [q.Active(Str(s, "worker")!), q.Dead, q.Stats], [Str(s, "raw"), Str(s, "entry"), Long(s, "deadMax", DeadMax)])),
            "heartbeat" => Sorted(await EvalAsync(LuaScripts.Heartbeat, [q.Heartbeat(Str(s, "worker")!), q.Workers, q.Cancels(Str(s, "worker")!)], [Str(s, "worker"), Long(s, "ttlMs", 5000), Str(s, "info")])),
            "scan" => Sorted(await EvalAsync(LuaScripts.Scan, [q.Workers], [q.HeartbeatPrefix])),
            "reap" => Scalar(await EvalAsync(LuaScripts.Reap,
                [q.Active(Str(s, "worker")!), q.Ready, q.Heartbeat(Str(s, "worker")!), q.Stats, q.Dead, q.Workers, q.Cancels(Str(s, "worker")!), q.RawCounts],
                [q.JobPrefix, Str(s, "worker"), Long(s, "maxLost", 5), Long(s, "failedTtlMs", FailedTtl), Long(s, "deadMax", DeadMax), q.Queue, q.WakeChannel.ToString(), Long(s, "resultTtlMs", ResultTtl)])),
            "reclaim" => Scalar(await EvalAsync(LuaScripts.Reclaim, [q.Active(Str(s, "worker")!), q.Ready, q.Stats],
                [q.JobPrefix, Str(s, "worker"), q.WakeChannel.ToString(), .. s["entries"]!.AsArray().Select(e => (RedisValue)(string)e!)])),
            "deregister" => Scalar(await EvalAsync(LuaScripts.Deregister, [q.Heartbeat(Str(s, "worker")!), q.Workers, q.Active(Str(s, "worker")!), q.Cancels(Str(s, "worker")!)], [Str(s, "worker")])),
            "cancel" => Scalar(await EvalAsync(LuaScripts.Cancel, [q.Job(Str(s, "id")!), q.Ready, q.Delayed, q.Stats], [Str(s, "id"), Long(s, "resultTtlMs", ResultTtl), q.CancelsPrefix, global.ControlPrefix, q.Queue])),
            "watch" => Scalar(await EvalAsync(LuaScripts.Watch, [q.Job(Str(s, "id")!)], [Str(s, "channel")])),
            "progress" => Scalar(await EvalAsync(LuaScripts.Progress, [q.Job(Str(s, "id")!)], [Long(s, "fence", 0), Str(s, "worker"), Str(s, "body"), q.Queue, Str(s, "id")])),
            _ => throw new InvalidOperationException($"unknown operation '{op}'"),
        };
    }

    private Task<RedisResult> EvalAsync(string script, RedisKey[] keys, RedisValue[] args) => db.ScriptEvaluateAsync(script, keys, args);

    private static RedisValue[] EnqueueArgs(QueueKeys q, JsonArray jobs)
    {
        var args = new List<RedisValue> { q.JobPrefix, jobs.Count, q.WakeChannel.ToString() };
        foreach (var node in jobs)
        {
            var j = node!.AsObject();
            var extra = new List<RedisValue>();
            if (Long(j, "maxAttempts", 1) > 1)
            {
                extra.AddRange([JobFields.MaxAttempts, Long(j, "maxAttempts", 1)]);
                if (Str(j, "backoff") is { } rb)
                {
                    extra.AddRange([JobFields.Backoff, rb]);
                }
            }

            if (Long(j, "timeoutMs", 0) > 0)
            {
                extra.AddRange([JobFields.TimeoutMs, Long(j, "timeoutMs", 0)]);
            }

            if (Str(j, "watchers") is { } x)
            {
                extra.AddRange([JobFields.Watchers, x]);
            }

            var delay = Long(j, "delayMs", 0);
            args.AddRange([Str(j, "id"), Str(j, "name"), Str(j, "payload"), delay > 0 ? Math.Max(1, delay) : 0, extra.Count / 2]);
            args.AddRange(extra);
        }

        return [.. args];
    }

    private static RedisValue[] CompleteArgs(QueueKeys q, JsonObject s)
    {
        var outcomes = s["outcomes"]!.AsArray();
        var args = new List<RedisValue>
        {
            q.JobPrefix, Str(s, "worker"), outcomes.Count, Long(s, "resultTtlMs", ResultTtl), Long(s, "failedTtlMs", FailedTtl),
            Long(s, "deadMax", DeadMax), q.Queue, q.WakeChannel.ToString(),
        };
        foreach (var node in outcomes)
        {
            var o = node!.AsObject();
            args.AddRange([Str(o, "id"), Long(o, "fence", 0), Str(o, "kind"), Str(o, "body") ?? "", Str(o, "arg") ?? ""]);
        }

        // The optional trailing spans, one per outcome, when any outcome gives one.
        if (outcomes.Any(o => o!["span"] is not null))
        {
            args.AddRange(outcomes.Select(o => (RedisValue)(Str(o!.AsObject(), "span") ?? "")));
        }

        return [.. args];
    }

    private static JsonNode Take(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        var jobs = new JsonArray();
        foreach (var row in (RedisResult[])parts[0]!)
        {
            var f = (RedisResult[])row!;
            var job = (string?)f[0] == "j"
                ? new JsonObject
                {
                    ["id"] = (string?)f[1], ["fence"] = (long)f[2], ["name"] = (string?)f[3], ["payload"] = (string?)f[4],
                    ["maxAttempts"] = (string?)f[5], ["timeoutMs"] = (string?)f[6], ["backoff"] = (string?)f[7], ["failures"] = (string?)f[8],
                }
                : new JsonObject { ["raw"] = (string?)f[1] };
            if ((string?)f[0] == "j" && f.Length > 11 && (string?)f[11] is { Length: > 0 } previousSpan)
            {
                job["previousSpan"] = previousSpan;
            }

            jobs.Add(job);
        }

        var due = (string?)parts[1];
        return new JsonObject
        {
            ["jobs"] = jobs,
            ["nextDueMs"] = string.IsNullOrEmpty(due) ? null : JsonValue.Create(long.Parse(due, NumberStyles.Float, CultureInfo.InvariantCulture)),
        };
    }

    private static JsonNode Strings(RedisResult result) => new JsonArray([.. ((RedisResult[])result!).Select(r => JsonValue.Create((string?)r))]);

    private static JsonNode Sorted(RedisResult result) => new JsonArray([.. ((RedisResult[])result!).Select(r => (string)r!).Order(StringComparer.Ordinal).Select(r => JsonValue.Create(r))]);

    private static JsonNode? Scalar(RedisResult result) => result.Resp2Type switch
    {
        ResultType.Integer => JsonValue.Create((long)result),
        ResultType.Array => new JsonArray([.. ((RedisResult[])result!).Select(Scalar)]),
        _ => result.IsNull ? null : JsonValue.Create((string?)result),
    };

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Long(JsonObject o, string name, long fallback) => o[name] is JsonValue v && v.TryGetValue<long>(out var l) ? l : fallback;
}
