using System.Diagnostics;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// A replicated Redis watched by Sentinels, all on loopback: a primary, two replicas and three Sentinels
/// (<c>redis-server x.conf --sentinel</c>, quorum 2, a primary is down after 1 s of silence). The primary is the
/// caller's; the group kills its replicas and Sentinels when disposed.
/// </summary>
public sealed class SentinelGroup : IAsyncDisposable
{
    public const string Service = "gamut";
    private readonly List<Process> _sentinels = [];
    private readonly string _dir = Wait.TempDir("sentinel");

    private SentinelGroup(RedisServer primary)
    {
        Primary = primary;
    }

    /// <summary>The first primary (until a fail-over).</summary>
    public RedisServer Primary { get; }

    public List<RedisServer> Replicas { get; } = [];

    public List<int> SentinelPorts { get; } = [];

    /// <summary>The Sentinels, as Gamut takes them: <c>redis://s1?sentinel=gamut,s2,s3</c>.</summary>
    public string Url => $"redis://127.0.0.1:{SentinelPorts[0]}?sentinel={Service}&timeout=2000,{string.Join(",", SentinelPorts.Skip(1).Select(p => $"127.0.0.1:{p}"))}";

    public IEnumerable<RedisServer> Servers => Replicas.Prepend(Primary);

    public static async Task<SentinelGroup> StartAsync(RedisServer primary)
    {
        var group = new SentinelGroup(primary);
        try
        {
            for (var i = 0; i < 2; i++)
            {
                group.Replicas.Add(await RedisServer.StartAsync("--replicaof", "127.0.0.1", primary.Port.ToString()));
            }

            foreach (var r in group.Replicas)
            {
                await Wait.UntilAsync(async () => (await r.CliAsync("INFO", "replication")).Contains("master_link_status:up"), "replica in sync", TestOptions.Guard);
            }

            for (var i = 0; i < 3; i++)
            {
                group.StartSentinel(primary.Port);
            }

            // Each Sentinel has found the replicas (from the primary) and the other Sentinels (hello messages).
            await Wait.UntilAsync(async () =>
            {
                foreach (var port in group.SentinelPorts)
                {
                    var master = await CliAsync(port, "SENTINEL", "MASTER", Service);
                    if (!master.Contains("num-slaves\n2", StringComparison.Ordinal) || !master.Contains("num-other-sentinels\n2", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }, "the Sentinels know the replicas and each other", TestOptions.Guard);
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        return group;
    }

    /// <summary>The port of the primary the Sentinels name now.</summary>
    public async Task<int> PrimaryPortAsync()
    {
        var reply = (await CliAsync(SentinelPorts[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", Service)).Split('\n');
        return reply.Length == 2 && int.TryParse(reply[1], out var port) ? port : 0;
    }

    public RedisServer ServerOn(int port) => Servers.Single(s => s.Port == port);

    /// <summary>Runs a command on every server (the primary and the replicas that may become one).</summary>
    public async Task ConfigureAllAsync(params string[] args)
    {
        foreach (var s in Servers)
        {
            Assert.Equal("OK", await s.CliAsync(args));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _sentinels)
        {
            if (!p.HasExited)
            {
                p.Kill();
                await p.WaitForExitAsync();
            }

            p.Dispose();
        }

        foreach (var r in Replicas)
        {
            await r.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void StartSentinel(int primaryPort)
    {
        var port = RedisServer.FreePort();
        var dir = Path.Combine(_dir, port.ToString());
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "sentinel.conf");
        File.WriteAllText(conf, $"""
            port {port}
            bind 127.0.0.1
            daemonize no
            dir {dir}
            logfile {Path.Combine(dir, "sentinel.log")}
            sentinel monitor {Service} 127.0.0.1 {primaryPort} 2
            sentinel down-after-milliseconds {Service} 1000
            sentinel failover-timeout {Service} 5000
            sentinel parallel-syncs {Service} 2

            """);
        var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(conf);
        psi.ArgumentList.Add("--sentinel");
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = p.StandardError.BaseStream.CopyToAsync(Stream.Null);
        _sentinels.Add(p);
        SentinelPorts.Add(port);
    }

    private static Task<string> CliAsync(int port, params string[] args) => Tools.RedisCliAsync(port, args);
}
