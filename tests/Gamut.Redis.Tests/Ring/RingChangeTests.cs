using Gamut.Jobs;
using Gamut.Redis.Ring;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ring;

/// <summary>
/// RELIABILITY.md RG-2: under a steady load, one instance is frozen (SIGSTOP) for 5 s, then flaps (STOP/CONT every
/// 2 s); then an instance is added and another removed. CI size about 2,000 jobs; GAMUT_SOAK=1 about 10,000.
/// </summary>
public sealed class RingChangeTests(ITestOutputHelper output)
{
    private static readonly JobRef<int, int> LedgerJob = JobRef.To<LedgerJob, int, int>();

    [Fact]
    public async Task RG2_freeze_flap_add_and_remove_under_load_lose_nothing_duplicate_no_result_and_converge()
    {
        await using var ring = await RingScenario.StartAsync("rg2", 4);
        var (a, b, c, d) = (ring.Servers[0], ring.Servers[1], ring.Servers[2], ring.Servers[3]);
        var first = new[] { a, b, c };
        await using var client = await RedisExecutor.ConnectAsync(ring.Options(first));
        await using var observer = await RedisExecutor.ConnectAsync(ring.Options([c]));
        await ring.StartWorkersAsync(2, 8);
        Assert.Equal(3, client.Deployment.Ring!.Topology.Members.Count);

        // The load: a steady stream of jobs; an enqueue stuck on a frozen instance holds only its own place.
        var perSecond = Wait.Scale(80, 400);
        using var stop = new CancellationTokenSource();
        var window = new SemaphoreSlim(400);
        var inFlight = new List<Task>();
        var producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await window.WaitAsync();
                lock (inFlight)
                {
                    inFlight.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await ring.Ledger.EnqueueAsync(client, LedgerJob, 5);
                        }
                        finally
                        {
                            window.Release();
                        }
                    }));
                }

                await Task.Delay(1000 / perSecond);
            }
        });

        // 1. Frozen for 5 s: slow, not dead.
        await Task.Delay(1500);
        a.Signal("STOP");
        await Task.Delay(5000);
        a.Signal("CONT");

        // 2. Flapping: stopped and resumed every 2 s.
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(2000);
            a.Signal("STOP");
            await Task.Delay(2000);
            a.Signal("CONT");
        }

        // 3. Membership changes under load: d joins, then b leaves (drained by the workers).
        await using var admin = await RedisAdmin.ConnectAsync(ring.Options([a]));
        var ids = Enumerable.Range(0, 20_000).Select(_ => JobIds.New()).ToList();
        var before = client.Deployment.Ring.Topology;
        var added = await admin.AddInstanceAsync(RingScenario.Member(d));
        var movedOnAdd = (double)ids.Count(id => before.Ring.Owner(id) != added.Ring.Owner(id)) / ids.Count;
        await Task.Delay(2000);
        var removed = await admin.RemoveInstanceAsync(RingScenario.Member(b));
        var movedOnRemove = (double)ids.Count(id => added.Ring.Owner(id) != removed.Ring.Owner(id)) / ids.Count;
        await Task.Delay(2000);

        await stop.CancelAsync();
        await producer;
        Task[] pending;
        lock (inFlight)
        {
            pending = [.. inFlight];
        }

        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromMinutes(2));

        // Every acknowledged job ends, once; b drains and leaves; everyone holds the same topology.
        var acked = ring.Ledger.Acked.ToList();
        await Wait.UntilAsync(async () => (await ring.ReadAsync(acked)).Values.All(r => r.Count == 1 && r[0].State == "succeeded"),
            "every acknowledged job succeeded", TimeSpan.FromMinutes(3));
        await Wait.UntilAsync(async () => await b.CliAsync("HGET", "rg2:ring", "state") == "gone", "b was drained and left the ring", TimeSpan.FromMinutes(2));
        var final = removed.Version + 1;
        await Wait.UntilAsync(() => Task.FromResult(client.Deployment.Ring.Topology.Version == final && observer.Deployment.Ring!.Topology.Version == final),
            "the clients converged", TestOptions.Guard);

        var records = await ring.ReadAsync(acked);
        var executions = ring.Executions();
        var reportedDuplicates = 0L;
        foreach (var s in ring.Servers)
        {
            reportedDuplicates += long.TryParse(await s.CliAsync("HGET", "rg2:{default}:stats", "duplicates"), out var k) ? k : 0;
        }

        var versions = new List<string>();
        foreach (var s in ring.Servers)
        {
            versions.Add(await s.CliAsync("HGET", "rg2:ring", "v"));
        }

        RingScenario.Report(output,
            $"RG-2: submitted={ring.Ledger.Submitted.Count} acked={acked.Count} indeterminate={ring.Ledger.Indeterminate.Count} executed={executions.Values.Sum()} " +
            $"lost={records.Values.Count(r => r.Count == 0)} result_duplicates={records.Values.Count(r => r.Count > 1)} execution_duplicates={executions.Values.Sum(v => v - 1)} " +
            $"reported_duplicates={reportedDuplicates} client_rerouted={client.Rerouted} client_retries={client.Retries} moved_on_add={movedOnAdd:P1} moved_on_remove={movedOnRemove:P1} versions={string.Join("/", versions)} " +
            $"clients=v{client.Deployment.Ring.Topology.Version}/v{observer.Deployment.Ring!.Topology.Version}");
        Assert.Equal(ring.Ledger.Submitted.Count, acked.Count);
        Assert.True(client.Rerouted > 0, "jobs went to other members while a was frozen");
        Assert.All(records.Values, r => Assert.Single(r));
        Assert.All(acked, id => Assert.True(executions.ContainsKey(id), $"job {id} ran"));
        Assert.Equal(reportedDuplicates, executions.Values.Sum(v => v - 1));
        Assert.InRange(movedOnAdd, 0.25 * 0.8, 0.25 * 1.2);
        Assert.InRange(movedOnRemove, 0.25 * 0.8, 0.25 * 1.2);
        Assert.All(versions, v => Assert.Equal(final.ToString(System.Globalization.CultureInfo.InvariantCulture), v));
        Assert.Equal(0, await ring.BacklogAsync(b));
        Assert.Equal("0", await b.CliAsync("SCARD", "rg2:{default}:workers"));
        Assert.Equal(new[] { a, c, d }.Select(RingScenario.Member).Order(StringComparer.Ordinal), client.Deployment.Ring.Topology.Members);
    }
}
