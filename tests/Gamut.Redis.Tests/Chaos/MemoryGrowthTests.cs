using System.Globalization;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// RELIABILITY.md RQ-12: memory does not grow. Jobs whose results live 2 s, completions published, one in ten
/// failing into a dead-letter list capped at 100: after drain and the TTL, no per-job key is left and Redis' memory
/// is back to its baseline plus a small constant; the dead-letter list is bounded and its trimming counted.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class MemoryGrowthTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> ShortLived = new()
    {
        ["GAMUT_TEST_RESULT_TTL_MS"] = "2000",
        ["GAMUT_TEST_FAILED_TTL_MS"] = "2000",
        ["GAMUT_TEST_DEAD_MAX"] = "100",
    };

    [Fact]
    public async Task RQ12_after_drain_and_the_result_ttl_memory_returns_to_its_baseline()
    {
        await using var run = await ChaosRun.StartAsync(output, "RQ-12");
        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        await run.StartWorkerAsync(8, env: ShortLived);
        await run.StartWorkerAsync(8, env: ShortLived);
        var job = JobRef.To<LedgerJob, int, int>();

        // Warm up (scripts cached, connections and channels set up), let it expire, then take the baseline.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => run.Ledger.SubmitAsync(client, job, i % 10 == 0 ? -1 : 1, r => r == 1)));
        await Wait.UntilAsync(async () => await CountAsync(run, ":job:") == 0, "the warm-up's records expired");
        var baseline = await UsedMemoryAsync(run);

        var n = Wait.Scale(3000, 100_000);
        var outcomes = new List<string>();
        foreach (var chunk in Enumerable.Range(0, n).Chunk(500))
        {
            outcomes.AddRange(await Task.WhenAll(chunk.Select(i => run.Ledger.SubmitAsync(client, job, i % 10 == 0 ? -1 : 1, r => r == 1))).WaitAsync(TestOptions.Guard));
        }

        await run.DrainAsync();
        var peak = await UsedMemoryAsync(run);
        await Wait.UntilAsync(async () => await CountAsync(run, ":job:") == 0, "every job record expired after its TTL");
        var after = await UsedMemoryAsync(run);
        var keys = (await run.Server.CliAsync("--scan", "--pattern", run.Prefix + ":*")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var perJob = keys.Where(k => k.Contains(":job:", StringComparison.Ordinal) || k.Contains(":cancels:", StringComparison.Ordinal) || (k.Contains(":active:", StringComparison.Ordinal))).ToList();
        await using var admin = await RedisAdmin.ConnectAsync(run.Options);
        var queue = (await admin.GetStatusAsync()).Queues.Single(q => q.Name == "default");
        await run.StopWorkersAsync();
        var failures = n / 10 + 2;
        var tally = await run.TallyAsync("", string.Create(CultureInfo.InvariantCulture,
            $"used_memory baseline={baseline} peak={peak} after_ttl={after} (+{after - baseline} B); dead-list={queue.DeadLetters} trimmed={queue.DeadTrimmed}; keys left: {string.Join(" ", keys.Select(k => k[(run.Prefix.Length + 1)..]).Order())}"));

        TallyReport.AssertClean(run.Seed, tally, requireAllObserved: true);
        Assert.Equal(n / 10, outcomes.Count(o => o == "failed"));
        Assert.Equal(n - (n / 10), outcomes.Count(o => o == "result"));
        Assert.Empty(perJob);
        Assert.Equal(100, queue.DeadLetters);
        Assert.Equal(failures - 100, queue.DeadTrimmed);

        // The small constant: the dead-letter list (100 entries of ~300 B) and allocator slack; not per job.
        Assert.True(after - baseline < 256 * 1024, $"{run.Seed}: used_memory grew by {after - baseline} bytes over {n} jobs (baseline {baseline}, after {after})");
    }

    private static async Task<int> CountAsync(ChaosRun run, string part) =>
        (await run.Server.CliAsync("--scan", "--pattern", $"{run.Prefix}:*{part}*")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private static async Task<long> UsedMemoryAsync(ChaosRun run) =>
        long.Parse((await run.Server.CliAsync("INFO", "memory")).Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
}
