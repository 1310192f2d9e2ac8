using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// Jepsen's set checker applied to jobs: compares the producer ledger and the execution logs (outside Redis) with
/// what Redis recorded, and prints the one-line tally of RELIABILITY.md §3.1.
/// </summary>
public static class LedgerChecker
{
    public sealed record Tally
    {
        public int Submitted { get; init; }
        public int Acked { get; init; }
        public int Indeterminate { get; init; }
        public int Executed { get; init; }
        public int Lost { get; init; }
        public int LostResult { get; init; }
        public int Duplicates { get; init; }
        public int Unexpected { get; init; }
        public int Stuck { get; init; }
        public int DeadLettered { get; init; }
        public int ReportedDuplicates { get; init; }

        /// <summary>Duplicate executions Redis saw and rejected (its bounded duplicate log).</summary>
        public int ObservedDuplicates { get; init; }

        /// <summary>Rejected completions that match no logged execution (must be 0).</summary>
        public int PhantomDuplicates { get; init; }

        /// <summary>Duplicate executions Redis never saw, all on processes the test killed (must equal Duplicates − ObservedDuplicates).</summary>
        public int UnobservedOnKilled { get; init; }

        /// <summary>Jobs whose recorded result has no execution with the recorded fencing token, or more than one.</summary>
        public int WinnerMismatch { get; init; }

        public override string ToString() =>
            $"submitted={Submitted} acked={Acked} indeterminate={Indeterminate} executed={Executed} lost={Lost} lost_result={LostResult} " +
            $"duplicates={Duplicates} unexpected={Unexpected} stuck={Stuck} dead_lettered={DeadLettered} reported_duplicates={ReportedDuplicates} " +
            $"observed={ObservedDuplicates} phantom={PhantomDuplicates} unobserved_on_killed={UnobservedOnKilled} winner_mismatch={WinnerMismatch}";
    }

    public static async Task<Tally> CheckAsync(RedisServer server, string prefix, string queue, ProducerLedger ledger, ISet<int> killedPids)
    {
        var executions = ExecutionLog.ReadAll(ledger.Directory);
        var byJob = executions.GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.ToList());
        var tag = $"{prefix}:{{{queue}}}:";
        int lost = 0, lostResult = 0, dead = 0, winnerMismatch = 0;
        var finalFence = new Dictionary<string, int>();
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port}");
        var db = mux.GetDatabase();
        var ids = ledger.Acked.Concat(ledger.Indeterminate).Distinct().ToList();
        var reads = ids.Select(id => db.HashGetAsync(tag + "job:" + id, ["s", "a"])).ToList();
        await Task.WhenAll(reads);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var state = (string?)reads[i].Result[0];
            var fenceText = (string?)reads[i].Result[1];
            if (state is "dead" or "failed")
            {
                dead++;
                continue;
            }

            if (state != "succeeded")
            {
                if (ledger.Acked.Contains(id))
                {
                    lost++;
                }

                if (byJob.ContainsKey(id))
                {
                    lostResult++;
                }

                continue;
            }

            var fence = int.Parse(fenceText!);
            finalFence[id] = fence;
            if (!byJob.TryGetValue(id, out var runs) || runs.Count(r => r.Attempt == fence) != 1)
            {
                winnerMismatch++;
            }
        }

        var unexpected = byJob.Keys.Count(id => !ledger.Submitted.Contains(id));
        var duplicates = byJob.Values.Sum(r => r.Count - 1);
        var stats = await server.CliAsync("HGET", tag + "stats", "duplicates");
        var reported = string.IsNullOrEmpty(stats) ? 0 : int.Parse(stats);
        var dups = (await server.CliAsync("LRANGE", tag + "dups", "0", "-1")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Select(p => (Id: p[0], Fence: int.Parse(p[1]))).ToList();
        var phantom = dups.Count(d => !byJob.TryGetValue(d.Id, out var runs) || !runs.Any(r => r.Attempt == d.Fence));
        var observed = dups.Count;
        var observedSet = dups.ToHashSet();
        var unobservedOnKilled = 0;
        foreach (var (id, runs) in byJob)
        {
            if (!finalFence.TryGetValue(id, out var winner))
            {
                continue;
            }

            foreach (var run in runs.Where(r => r.Attempt != winner && !observedSet.Contains((id, r.Attempt))))
            {
                if (killedPids.Contains(run.Pid))
                {
                    unobservedOnKilled++;
                }
            }
        }

        var stuck = 0;
        await foreach (var key in mux.GetServers()[0].KeysAsync(pattern: tag + "active:*"))
        {
            stuck += (int)await db.ListLengthAsync(key);
        }

        stuck += (int)await db.ListLengthAsync(tag + "queue");

        return new Tally
        {
            Submitted = ledger.Submitted.Count,
            Acked = ledger.Acked.Count,
            Indeterminate = ledger.Indeterminate.Count,
            Executed = executions.Count,
            Lost = lost,
            LostResult = lostResult,
            Duplicates = duplicates,
            Unexpected = unexpected,
            Stuck = stuck,
            DeadLettered = dead,
            ReportedDuplicates = reported,
            ObservedDuplicates = observed,
            PhantomDuplicates = phantom,
            UnobservedOnKilled = unobservedOnKilled,
            WinnerMismatch = winnerMismatch,
        };
    }
}
