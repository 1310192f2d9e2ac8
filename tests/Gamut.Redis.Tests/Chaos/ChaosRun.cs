using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// What every fault scenario needs: its own redis-server, a key prefix, the ledger directory, the seed, worker
/// processes that log their executions there, and, at the end, the checker's tally printed and returned.
/// Disposing it kills whatever is left (workers, Redis, proxies) and removes the directory.
/// </summary>
public sealed class ChaosRun : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _owned = [];

    private readonly bool _ownsServer;

    private ChaosRun(ITestOutputHelper output, RedisServer server, ChaosSeed seed, string prefix, bool ownsServer = true)
    {
        _ownsServer = ownsServer;
        _output = output;
        Server = server;
        Seed = seed;
        Prefix = prefix;
        Directory = Wait.TempDir(prefix);
        Ledger = new ProducerLedger(Directory);
        Options = TestOptions.For(server, prefix);
    }

    public RedisServer Server { get; }

    public ChaosSeed Seed { get; }

    public string Prefix { get; }

    public string Directory { get; }

    public ProducerLedger Ledger { get; }

    /// <summary>Direct to the server, with the run's prefix and the tests' fast heartbeats.</summary>
    public RedisOptions Options { get; }

    public List<WorkerProcess> Workers { get; } = [];

    /// <summary>Workers the scenario killed: their unrecorded executions are the only duplicates Redis may not see.</summary>
    public HashSet<int> Killed { get; } = [];

    public static async Task<ChaosRun> StartAsync(ITestOutputHelper output, string scenario, params string[] redisArgs)
    {
        var seed = ChaosSeed.Start(output, scenario);
        var server = await RedisServer.StartAsync(redisArgs);
        return new ChaosRun(output, server, seed, scenario.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant());
    }

    /// <summary>A run on a server started elsewhere (e.g. a replicated primary); the run kills it at the end if it <paramref name="owns"/> it.</summary>
    public static ChaosRun On(ITestOutputHelper output, string scenario, RedisServer server, bool owns = true) =>
        new(output, server, ChaosSeed.Start(output, scenario), scenario.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant(), owns);

    /// <summary>The run's options on another URL (a fault proxy's, e.g. with <c>?timeout=1000</c>; or a list, e.g. Sentinels).</summary>
    public RedisOptions Through(string url)
    {
        var parsed = RedisOptions.FromUrl(url);
        return Options with { Configuration = parsed.Configuration, Instances = parsed.Instances };
    }

    public FaultProxy Proxy()
    {
        var proxy = FaultProxy.Start(Server.Port);
        _owned.Add(proxy);
        return proxy;
    }

    /// <summary>Starts a worker process on the run's queue "default"; waits until it is ready.</summary>
    public async Task<WorkerProcess> StartWorkerAsync(int concurrency = 4, string? url = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var worker = WorkerProcess.Start(url ?? Server.Url, Prefix, "default", concurrency, Directory, env: env);
        Workers.Add(worker);
        await worker.Ready.WaitAsync(TestOptions.Guard);
        return worker;
    }

    public void Kill(WorkerProcess worker)
    {
        Killed.Add(worker.Pid);
        worker.Kill();
    }

    /// <summary>Waits until nothing is pending: no job ready, delayed, running or stuck.</summary>
    public Task DrainAsync(RedisOptions? options = null) =>
        Wait.UntilAsync(async () => await LedgerChecker.PendingAsync(options ?? Options, "default") == 0, $"{Seed}: every job finished");

    /// <summary>SIGTERM to every live worker; each must exit 0 (it hands back or finishes what it holds).</summary>
    public async Task StopWorkersAsync()
    {
        var live = Workers.Where(w => !w.HasExited && !Killed.Contains(w.Pid)).ToList();
        foreach (var w in live)
        {
            w.Signal("TERM");
        }

        foreach (var w in live)
        {
            await w.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            Assert.True(w.ExitCode == 0, $"{Seed}: worker {w.Pid} exited with {w.ExitCode} after SIGTERM: {w.Stderr}");
        }
    }

    /// <summary>Runs the checker and prints the tally line (with <paramref name="note"/>: the faults injected).</summary>
    public async Task<Tally> TallyAsync(string variant = "", string? note = null, RedisOptions? options = null)
    {
        var tally = await LedgerChecker.CheckAsync(options ?? Options, "default", Ledger, Killed);
        TallyReport.Print(_output, Seed, variant, tally, note);
        return tally;
    }

    public void Log(string line) => _output.WriteLine($"{Seed.Scenario}: {line}");

    public async ValueTask DisposeAsync()
    {
        foreach (var w in Workers)
        {
            w.Dispose();
        }

        foreach (var o in _owned)
        {
            await o.DisposeAsync();
        }

        if (_ownsServer)
        {
            await Server.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ChaosCollection
{
    /// <summary>The fault scenarios run one at a time (each starts its own Redis and workers), beside the other tests.</summary>
    public const string Name = "chaos scenarios";
}
