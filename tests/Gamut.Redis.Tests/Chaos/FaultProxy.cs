using System.Net;
using System.Net.Sockets;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>
/// A TCP relay between clients and a redis-server on loopback that injects network faults (RELIABILITY.md §3.2),
/// because these machines have no netem: latency with jitter, a blackhole, a data limit that cuts replies mid-RESP,
/// 1-byte segments, a bandwidth cap (<see cref="Toxics"/>), connection resets, and being down (new connections
/// refused). Toxics can be changed at any moment and apply to existing and new connections alike.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly List<ProxyConnection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private volatile Toxics _toxics = Toxics.None;
    private int _version;
    private long _accepted, _refused, _resets, _cuts, _segments;

    private FaultProxy(int port, int upstreamPort)
    {
        Port = port;
        _upstreamPort = upstreamPort;
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    public Toxics Toxics => _toxics;

    /// <summary>Bumped at every change of toxics: a connection's data limit counts from the change.</summary>
    public int Version => Volatile.Read(ref _version);

    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections refused (reset at once) while the proxy was down.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Connections closed by the data limit, mid-reply.</summary>
    public long Cuts => Interlocked.Read(ref _cuts);

    /// <summary>Reply segments written by the slicer.</summary>
    public long Segments => Interlocked.Read(ref _segments);

    public bool IsDown { get; private set; }

    /// <summary>Relays a free loopback port to <paramref name="upstreamPort"/>.</summary>
    public static FaultProxy Start(int upstreamPort)
    {
        var proxy = new FaultProxy(Infrastructure.RedisServer.FreePort(), upstreamPort);
        proxy.Listen();
        return proxy;
    }

    /// <summary>Replaces the toxics in force.</summary>
    public void Set(Toxics toxics)
    {
        _toxics = toxics;
        Interlocked.Increment(ref _version);
    }

    public void Clear() => Set(Toxics.None);

    /// <summary>Resets (TCP RST) every open connection of <paramref name="role"/> now; returns how many.</summary>
    public int ResetPeers(ConnectionRole role = ConnectionRole.Any)
    {
        var victims = Snapshot().Where(c => new Toxics { Role = role }.AppliesTo(c.IsSubscriber)).ToList();
        foreach (var c in victims)
        {
            c.Reset();
            Interlocked.Increment(ref _resets);
        }

        return victims.Count;
    }

    /// <summary>Stops listening (new connections are refused) and resets every open connection.</summary>
    public void Down()
    {
        lock (_connections)
        {
            if (IsDown)
            {
                return;
            }

            IsDown = true;
            StopListening(_listener);
        }

        ResetPeers();
    }

    /// <summary>The listening socket's descriptor while the proxy is up (a test duplicates it, as a forked child does).</summary>
    internal IntPtr ListeningSocket
    {
        get
        {
            lock (_connections)
            {
                return _listener?.Server.Handle ?? IntPtr.Zero;
            }
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Up()
    {
        lock (_connections)
        {
            if (!IsDown)
            {
                return;
            }

            IsDown = false;
        }

        Listen();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_connections)
        {
            IsDown = true;
            StopListening(_listener);
        }

        foreach (var c in Snapshot())
        {
            c.Close();
        }

        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    internal void CountCut() => Interlocked.Increment(ref _cuts);

    internal void CountSegment() => Interlocked.Increment(ref _segments);

    internal void Forget(ProxyConnection connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    private List<ProxyConnection> Snapshot()
    {
        lock (_connections)
        {
            return [.. _connections];
        }
    }

    /// <summary>
    /// Ends listening at once, even while another process holds a copy of the socket: a child between fork and exec
    /// (this process starts redis-server, redis-cli and workers all the time, on other threads) has every descriptor
    /// of ours, so close() alone leaves the port listening until that child execs, and the kernel goes on completing
    /// new connections on it. shutdown() acts on the socket itself, whoever else holds it.
    /// </summary>
    private static void StopListening(TcpListener? listener)
    {
        if (listener is null)
        {
            return;
        }

        try
        {
            listener.Server.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not listening any more (stopped before): close() below is all there is to do.
        }

        listener.Stop();
    }

    private void Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        lock (_connections)
        {
            _listener = listener;
        }

        _accepting = Task.Run(() => AcceptLoopAsync(listener));
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            if (IsDown)
            {
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                Interlocked.Increment(ref _refused);
                continue;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ConnectAsync(client));
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            upstream.Dispose();
            client.LingerState = new LingerOption(true, 0);
            client.Close();
            return;
        }

        client.NoDelay = true;
        var connection = new ProxyConnection(this, client, upstream);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        connection.Start();
    }
}
