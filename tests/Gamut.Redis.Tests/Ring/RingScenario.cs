using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Ring;

/// <summary>
/// A ring of real instances for the fault scenarios (RELIABILITY.md RG-1, RG-2): the servers, worker processes that
/// log each execution outside Redis, a producer ledger, and a checker that reads every instance directly.
/// </summary>
internal sealed class RingScenario : IAsyncDisposable
{
    public const string Queue = "default";

    private readonly List<WorkerProcess> _workers = [];

    private RingScenario(string prefix, List<RedisServer> servers, string dir)
    {
        Prefix = prefix;
        Servers = servers;
        Directory = dir;
        Ledger = new ProducerLedger(dir);
    }

    public string Prefix { get; }

    public List<RedisServer> Servers { get; }

    public string Directory { get; }

    public ProducerLedger Ledger { get; }

    public static async Task<RingScenario> StartAsync(string prefix, int instances, params string[] serverArgs)
    {
        var servers = new List<RedisServer>();
        for (var i = 0; i < instances; i++)
        {
            servers.Add(await RedisServer.StartAsync(serverArgs));
        }

        return new RingScenario(prefix, servers, Wait.TempDir(prefix));
    }

    public static string Member(RedisServer s) => $"127.0.0.1:{s.Port}";

    public string Url(IEnumerable<RedisServer>? servers = null) => string.Join(",", (servers ?? Servers).Select(s => s.Url));

    /// <summary>Client options: short timeouts, so a frozen or dead instance is noticed within a second.</summary>
    public RedisOptions Options(IEnumerable<RedisServer>? servers = null, TimeSpan? indeterminateWait = null) =>
        RedisOptions.FromUrl(Url(servers)).WithKeyPrefix(Prefix)
            .WithRing(new RingOptions
            {
                InstanceTimeout = TimeSpan.FromMilliseconds(700),
                HealthInterval = TimeSpan.FromMilliseconds(250),
                CheckInterval = TimeSpan.FromSeconds(1),
                IndeterminateWait = indeterminateWait ?? TimeSpan.FromSeconds(30),
            });

    /// <summary>Starts worker processes on the ring (any one instance that answers is enough to start).</summary>
    public async Task StartWorkersAsync(int count, int concurrency)
    {
        var started = Enumerable.Range(0, count).Select(_ => WorkerProcess.Start(
            Url(), Prefix, Queue, concurrency, Directory, env: new Dictionary<string, string> { ["GAMUT_TEST_RING"] = "700,250,1000" })).ToList();
        _workers.AddRange(started);
        await Task.WhenAll(started.Select(w => w.Ready)).WaitAsync(TestOptions.Guard);
    }

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    /// <summary>Each id's record on every instance that answers: the state, per server.</summary>
    public async Task<Dictionary<string, List<(RedisServer Server, string State)>>> ReadAsync(IEnumerable<string> ids, IEnumerable<RedisServer>? servers = null)
    {
        var list = ids.ToList();
        var found = list.ToDictionary(id => id, _ => new List<(RedisServer, string)>(), StringComparer.Ordinal);
        foreach (var server in servers ?? Servers)
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},connectTimeout=2000");
            var db = mux.GetDatabase();
            foreach (var chunk in list.Chunk(1000))
            {
                var states = await Task.WhenAll(chunk.Select(id => db.HashGetAsync($"{Prefix}:{{{Queue}}}:job:{id}", "s")));
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (!states[i].IsNull)
                    {
                        found[chunk[i]].Add((server, (string)states[i]!));
                    }
                }
            }
        }

        return found;
    }

    /// <summary>Jobs still to run on a server: ready, delayed, and in any in-flight list.</summary>
    public async Task<long> BacklogAsync(RedisServer server)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},allowAdmin=true");
        var db = mux.GetDatabase();
        var tag = $"{Prefix}:{{{Queue}}}:";
        var n = await db.ListLengthAsync(tag + "queue") + await db.SortedSetLengthAsync(tag + "delayed");
        await foreach (var key in mux.GetServer(mux.GetEndPoints()[0]).KeysAsync(pattern: tag + "active:*"))
        {
            n += await db.ListLengthAsync(key);
        }

        return n;
    }

    /// <summary>Prints a scenario's one-line tally to the test output, and to <c>GAMUT_CHAOS_TALLIES</c> when set (./test prints them).</summary>
    public static void Report(Xunit.Abstractions.ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("GAMUT_CHAOS_TALLIES") is { Length: > 0 } file)
        {
            lock (typeof(RingScenario))
            {
                File.AppendAllText(file, $"{line} size={ChaosSeed.Size}\n");
            }
        }
    }

    /// <summary>Executions per job id, from the workers' logs (outside Redis).</summary>
    public Dictionary<string, int> Executions() =>
        ExecutionLog.ReadAll(Directory).GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers)
        {
            w.Dispose();
        }

        foreach (var s in Servers)
        {
            s.Signal("CONT");
            await s.DisposeAsync();
        }
    }
}
