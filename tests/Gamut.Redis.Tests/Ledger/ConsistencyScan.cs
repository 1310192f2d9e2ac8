using StackExchange.Redis;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// No half-written job (RELIABILITY.md RQ-2, RQ-10): every record is where its state says (queued → the ready list,
/// delayed → the schedule, running → its worker's in-flight list) and every id in those lists has a record.
/// Reads many keys one after the other, so run it while nothing changes them.
/// </summary>
public static class ConsistencyScan
{
    public sealed record Result(int Records, int Inconsistent, IReadOnlyList<string> Problems);

    public static async Task<Result> RunAsync(IDatabase db, IServer server, string tag)
    {
        var problems = new List<string>();
        var jobPrefix = tag + "job:";
        var activePrefix = tag + "active:";
        var ready = (await db.ListRangeAsync(tag + "queue")).Select(v => (string)v!).ToList();
        var delayed = (await db.SortedSetRangeByRankAsync(tag + "delayed")).Select(v => (string)v!).ToHashSet();
        var inFlight = new Dictionary<string, HashSet<string>>();
        await foreach (var key in server.KeysAsync(db.Database, activePrefix + "*", pageSize: 1000))
        {
            inFlight[((string)key!)[activePrefix.Length..]] = (await db.ListRangeAsync(key)).Select(v => (string)v!).ToHashSet();
        }

        var readySet = ready.ToHashSet();
        var records = 0;
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(db.Database, jobPrefix + "*", pageSize: 1000))
        {
            keys.Add(key);
        }

        var fields = keys.Select(k => db.HashGetAsync(k, ["s", "w"])).ToList();
        await Task.WhenAll(fields);
        var known = new HashSet<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            records++;
            var id = ((string)keys[i]!)[jobPrefix.Length..];
            known.Add(id);
            var state = (string?)fields[i].Result[0];
            var worker = (string?)fields[i].Result[1];
            var placed = state switch
            {
                "queued" => readySet.Contains(id),
                "delayed" => delayed.Contains(id),
                "running" => worker is not null && inFlight.TryGetValue(worker, out var held) && held.Contains(id),
                "succeeded" or "failed" or "dead" or "cancelled" => true,
                _ => false,
            };
            if (!placed)
            {
                problems.Add($"{id}: state {state ?? "(none)"} but not where that state belongs");
            }
        }

        foreach (var id in ready.Concat(delayed).Concat(inFlight.Values.SelectMany(h => h)))
        {
            // Raw envelopes pushed by other producers are not ids (they start with '{').
            if (!id.StartsWith('{') && !known.Contains(id))
            {
                problems.Add($"{id}: listed, but has no record");
            }
        }

        if (ready.Count != readySet.Count)
        {
            problems.Add($"the ready list holds {ready.Count - readySet.Count} ids twice");
        }

        return new Result(records, problems.Count, problems);
    }
}
