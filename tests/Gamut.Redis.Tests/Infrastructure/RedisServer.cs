using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>
/// A real redis-server the test starts on a free loopback port, in a directory of its own, and kills by pid.
/// It can be killed (-9), paused (-STOP), resumed and restarted on the same port from the same directory (AOF).
/// </summary>
public sealed partial class RedisServer : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private Process? _process;

    private RedisServer(int port, string dir, string[] extraArgs)
    {
        Port = port;
        Directory = dir;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Directory { get; }

    public int Pid => _process?.Id ?? 0;

    /// <summary>Not running (killed, or never started).</summary>
    public bool HasExited => _process is null || _process.HasExited;

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts a server; <paramref name="args"/> are extra redis-server options, e.g. "--appendonly", "yes".</summary>
    public static async Task<RedisServer> StartAsync(params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), "gamut-redis-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        var server = new RedisServer(FreePort(), dir, args);
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Starts a server on a copy of another server's directory (e.g. a truncated AOF).</summary>
    public static async Task<RedisServer> StartInDirectoryAsync(string dir, params string[] args)
    {
        var server = new RedisServer(FreePort(), dir, args);
        await server.LaunchAsync();
        return server;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory, "--save", "", "--daemonize", "no", "--logfile", Path.Combine(Directory, "redis.log") })
        {
            psi.ArgumentList.Add(a);
        }

        if (!_extraArgs.Contains("--appendonly"))
        {
            psi.ArgumentList.Add("--appendonly");
            psi.ArgumentList.Add("no");
        }

        foreach (var a in _extraArgs)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => { }, TaskScheduler.Default);
        _ = _process.StandardError.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => { }, TaskScheduler.Default);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var pong = await CliAsync("PING");
            if (pong == "PONG" || pong.Contains("NOAUTH", StringComparison.Ordinal))
            {
                return;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}: {Log()}");
            }

            await Task.Delay(50);
        }

        Kill();
        throw new TimeoutException($"redis-server on port {Port} did not answer: {Log()}");
    }

    public string Log() => File.Exists(Path.Combine(Directory, "redis.log")) ? File.ReadAllText(Path.Combine(Directory, "redis.log")) : "";

    /// <summary>Runs redis-cli against this server; returns its trimmed stdout.</summary>
    public Task<string> CliAsync(params string[] args) => Tools.RedisCliAsync(Port, args, IsCluster);

    /// <summary>Runs redis-cli with <paramref name="stdin"/> as the last argument (<c>-x</c>), for binary or huge values.</summary>
    public Task<string> CliWithStdinAsync(byte[] stdin, params string[] args) => Tools.RedisCliAsync(Port, args, IsCluster, stdin);

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Signal(string signal)
    {
        using var p = Process.Start("kill", [$"-{signal}", Pid.ToString()]);
        p.WaitForExit();
    }

    public async Task RestartAsync()
    {
        Kill();
        await LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _clusterNodes)
        {
            await node.DisposeAsync();
        }

        Kill();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        await Task.CompletedTask;
    }
}
