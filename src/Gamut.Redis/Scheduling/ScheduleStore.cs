using System.Globalization;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis.Scheduling;

/// <summary>
/// Where schedules live: a HASH per schedule in its queue's slot, <c>P:{Q}:schedule:NAME</c>, and the queue's index
/// <c>P:{Q}:schedules</c> (SET of names); the queues come from <c>P:queues</c>. Reads are plain; every change is a script.
/// </summary>
internal static class ScheduleStore
{
    public static RedisKey Key(QueueKeys q, string name) => q.Tag + "schedule:" + name;

    public static RedisKey Index(QueueKeys q) => q.Tag + "schedules";

    /// <summary>The names in a queue's index, sorted.</summary>
    public static async Task<List<string>> NamesAsync(IDatabase db, QueueKeys q, CancellationToken cancellationToken) =>
        [.. (await db.SetMembersAsync(Index(q)).WaitAsync(cancellationToken).ConfigureAwait(false))
            .Select(v => (string)v!).Where(ScheduleDefinition.IsValidName).Order(StringComparer.Ordinal)];

    /// <summary>One schedule as stored, or null when there is none (or its hash lacks the fields a schedule has).</summary>
    public static async Task<ScheduleInfo?> ReadAsync(IDatabase db, QueueKeys q, string name, CancellationToken cancellationToken)
    {
        var entries = await db.HashGetAllAsync(Key(q, name)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var f = entries.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        string? S(string field) => f.TryGetValue(field, out var v) ? (string?)v : null;
        long L(string field) => f.TryGetValue(field, out var v) && long.TryParse((string?)v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (S("cron") is not { } cron || S("lt") is not { } lt)
        {
            return null;
        }

        return new ScheduleInfo
        {
            Name = name,
            Queue = q.Queue,
            Cron = cron,
            TimeZone = S("tz") ?? "UTC",
            JobName = S("n") ?? "",
            Payload = f.TryGetValue("p", out var p) ? (byte[]?)p ?? [] : [],
            Misfire = ParsePolicy(S("mf")),
            Paused = S("ps") == "1",
            LastTick = DateTimeOffset.FromUnixTimeMilliseconds(L("lt")),
            Created = DateTimeOffset.FromUnixTimeMilliseconds(L("c")),
            Fired = L("f"),
            LastJobId = S("lj"),
            Version = S("v") ?? "",
            RawLastTick = lt,
        };
    }

    public static string Format(MisfirePolicy policy) => policy switch
    {
        MisfirePolicy.Skip => "skip",
        MisfirePolicy.Each => "each",
        _ => "once",
    };

    /// <summary>A stored policy; an unknown word (a newer writer) reads as the default, once.</summary>
    public static MisfirePolicy ParsePolicy(string? text) => text switch
    {
        "skip" => MisfirePolicy.Skip,
        "each" => MisfirePolicy.Each,
        _ => MisfirePolicy.Once,
    };
}
