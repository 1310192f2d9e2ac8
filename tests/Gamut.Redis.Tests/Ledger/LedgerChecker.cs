using StackExchange.Redis;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// Jepsen's set checker applied to jobs: compares the producer ledger and the execution logs (outside Redis) with
/// what Redis recorded and what <c>gamut status</c> reports (<see cref="RedisAdmin"/>), giving a <see cref="Tally"/>.
/// Run it once the system is quiet (drained); the consistency scan reads several keys, not one snapshot.
/// </summary>
public static class LedgerChecker
{
    /// <summary>Redis keeps the newest 1,000 rejected outcomes (docs/redis-protocol.md, <c>dups</c>).</summary>
    public const int DuplicateLogMax = 1000;

    public static async Task<Tally> CheckAsync(RedisOptions options, string queue, ProducerLedger ledger, ISet<int>? killedPids = null)
    {
        killedPids ??= new HashSet<int>();
        var executions = ExecutionLog.ReadAll(ledger.Directory);
        var byJob = executions.GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.ToList());
        var tag = $"{options.KeyPrefix}:{{{queue}}}:";
        int lost = 0, lostReported = 0, lostResult = 0, dead = 0, winnerMismatch = 0;
        var finalFence = new Dictionary<string, int>();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options.Configuration.Clone());
        var db = mux.GetDatabase();
        var ids = ledger.Acked.Concat(ledger.Indeterminate).Distinct().ToList();
        var reads = ids.Select(id => db.HashGetAsync(tag + "job:" + id, ["s", "a"])).ToList();
        await Task.WhenAll(reads);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var state = (string?)reads[i].Result[0];
            if (int.TryParse((string?)reads[i].Result[1], out var fence))
            {
                finalFence[id] = fence;
            }

            ledger.Outcomes.TryGetValue(id, out var told);
            var acked = ledger.Acked.Contains(id);
            if (state is "dead" or "failed" || (state is null && told is "dead" or "failed"))
            {
                dead++;
                continue;
            }

            if (state == "succeeded" || (state is null && told == "result"))
            {
                if (state == "succeeded" && (!byJob.TryGetValue(id, out var runs) || runs.Count(r => r.Attempt == fence) != 1))
                {
                    winnerMismatch++;
                }

                continue;
            }

            // Not finished (or gone and nobody got its outcome). An indeterminate enqueue that never created the job is
            // not a loss: it was never acknowledged.
            if (acked || state is not null)
            {
                lost++;
                if (told == "lost")
                {
                    lostReported++;
                }
            }

            if (byJob.ContainsKey(id))
            {
                lostResult++;
            }
        }

        await using var admin = await RedisAdmin.ConnectAsync(options with { AllowEvictingPolicy = true, RequireDurability = false, Logger = null });
        var status = (await admin.GetStatusAsync()).Queues.FirstOrDefault(q => q.Name == queue);
        var reported = (int)(status?.Duplicates ?? 0);
        var dups = (await db.ListRangeAsync(tag + "dups")).Select(v => ((string)v!).Split(' ')).Select(p => (Id: p[0], Fence: int.Parse(p[1]))).ToList();
        var observedSet = dups.ToHashSet();
        var phantom = dups.Count(d => !byJob.TryGetValue(d.Id, out var runs) || !runs.Any(r => r.Attempt == d.Fence));
        int onKilled = 0, unobservedOnKilled = 0, unaccounted = 0;
        foreach (var (id, runs) in byJob)
        {
            // The runs that did not produce the recorded outcome (without a record: all but one).
            var losers = finalFence.TryGetValue(id, out var winner) ? runs.Where(r => r.Attempt != winner).ToList() : runs.Skip(1).ToList();
            foreach (var run in losers)
            {
                var killed = killedPids.Contains(run.Pid);
                onKilled += killed ? 1 : 0;
                if (!observedSet.Contains((id, run.Attempt)))
                {
                    unobservedOnKilled += killed ? 1 : 0;
                    unaccounted += killed ? 0 : 1;
                }
            }
        }

        var duplicates = byJob.Values.Sum(r => r.Count - 1);
        if (reported > dups.Count)
        {
            // The duplicate log keeps only the newest entries: attribute by counts instead.
            unaccounted = Math.Max(0, duplicates - reported - onKilled);
            unobservedOnKilled = Math.Max(0, duplicates - reported - unaccounted);
            phantom = Math.Max(0, reported - duplicates);
        }

        // In a Redis Cluster the queue's keys live on the node that owns its hash tag's slot.
        var owner = db.IdentifyEndpoint(tag + "queue") is { } endpoint ? mux.GetServer(endpoint) : mux.GetServers().First(s => s.IsConnected && !s.IsReplica);
        var scan = await ConsistencyScan.RunAsync(db, owner, tag);
        return new Tally
        {
            Submitted = ledger.Submitted.Count,
            Acked = ledger.Acked.Count,
            Indeterminate = ledger.Indeterminate.Count,
            Executed = executions.Count,
            Lost = lost,
            LostReported = lostReported,
            LostResult = lostResult,
            Duplicates = duplicates,
            Unexpected = byJob.Keys.Count(id => !ledger.Submitted.Contains(id)),
            Stuck = (int)(status?.Pending ?? 0),
            DeadLettered = dead,
            ReportedDuplicates = reported,
            Failed = ledger.Failed.Count,
            Records = scan.Records,
            Enqueued = (int)(status?.Enqueued ?? 0),
            ObservedDuplicates = dups.Count,
            PhantomDuplicates = phantom,
            UnobservedOnKilled = unobservedOnKilled,
            Unaccounted = unaccounted,
            WinnerMismatch = winnerMismatch,
            Inconsistent = scan.Inconsistent,
        };
    }

    /// <summary>Only what is still pending (ready, delayed, running, stuck): for waiting until a run has drained.</summary>
    public static async Task<long> PendingAsync(RedisOptions options, string queue)
    {
        await using var admin = await RedisAdmin.ConnectAsync(options with { AllowEvictingPolicy = true, RequireDurability = false, Logger = null });
        return (await admin.GetStatusAsync()).Queues.FirstOrDefault(q => q.Name == queue)?.Pending ?? 0;
    }
}
