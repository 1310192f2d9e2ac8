using System.Net;
using System.Net.Sockets;

namespace Gamut.Loop;

public sealed partial class EventLoop
{
    private byte[]? _readBuffer;

    internal IPoller Poller => _poller;

    // One read buffer serves every connection: protocols see the bytes only during OnData, on this one thread.
    internal byte[] ReadBuffer => _readBuffer ??= GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);

    /// <summary>
    /// Listens for TCP connections on <paramref name="endpoint"/>; each one gets a protocol from
    /// <paramref name="protocolFactory"/> and is served on the loop thread. From any thread: the socket is bound
    /// before this returns (so a taken port throws here), and watched from the loop's next turn.
    /// </summary>
    /// <param name="endpoint">Where to listen; port 0 lets the system choose (see <see cref="TcpServer.LocalEndPoint"/>).</param>
    /// <param name="protocolFactory">Makes the protocol of each connection (on the loop thread).</param>
    /// <param name="backlog">The kernel's queue of connections not yet accepted.</param>
    /// <returns>The server; dispose it to stop listening.</returns>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public TcpServer ListenTcp(IPEndPoint endpoint, Func<TcpProtocol> protocolFactory, int backlog = 1024)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ThrowIfNoSockets();
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone (a restarted server can bind past TIME_WAIT); .NET's ReuseAddress also sets
            // SO_REUSEPORT on Linux, which would let a second listener share, and steal from, the port.
            Libc.SetReuseAddress((int)listener.Handle);
            listener.Bind(endpoint);
            listener.Listen(backlog);
            listener.Blocking = false;
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var server = new TcpServer(this, listener, protocolFactory);
        RunOnLoop(static s => ((TcpServer)s!).Start(), server);
        return server;
    }

    /// <summary>
    /// Listens for TCP connections on <paramref name="endpoint"/> and runs <paramref name="handler"/> on the loop for
    /// each one, with a <see cref="TcpConnection"/> to <c>await</c> reads and writes on. The connection closes when
    /// the handler's task ends; what it throws is reported through <see cref="CallbackFailed"/> and aborts it.
    /// </summary>
    /// <param name="endpoint">Where to listen; port 0 lets the system choose.</param>
    /// <param name="handler">Serves one connection, on the loop thread.</param>
    /// <param name="backlog">The kernel's queue of connections not yet accepted.</param>
    /// <returns>The server; dispose it to stop listening.</returns>
    public TcpServer ListenTcp(IPEndPoint endpoint, Func<TcpConnection, Task> handler, int backlog = 1024)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return ListenTcp(endpoint, () => new StreamProtocol(handler), backlog);
    }

    /// <summary>Connects to <paramref name="endpoint"/>, for code on the loop to <c>await</c> reads and writes on. From any thread.</summary>
    /// <param name="endpoint">The server.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    public async Task<TcpConnection> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var protocol = new StreamProtocol();
        await ConnectTcpAsync(endpoint, protocol, cancellationToken).ConfigureAwait(false);
        return new TcpConnection(protocol);
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> and serves the connection with <paramref name="protocol"/> on the loop
    /// thread. From any thread; the task completes (on the loop) once connected.
    /// </summary>
    /// <param name="endpoint">The server.</param>
    /// <param name="protocol">The connection's protocol.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <returns>The connection's transport.</returns>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    public Task<TcpTransport> ConnectTcpAsync(IPEndPoint endpoint, TcpProtocol protocol, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(protocol);
        ThrowIfNoSockets();
        var connector = new TcpConnector(this, endpoint, protocol, cancellationToken);
        RunOnLoop(static s => ((TcpConnector)s!).Start(), connector);
        return connector.Task;
    }

    private void ThrowIfNoSockets()
    {
        if (!_poller.SupportsDescriptors)
        {
            throw new PlatformNotSupportedException("The event loop serves sockets itself on Linux only (epoll); elsewhere, await .NET sockets from loop jobs.");
        }
    }

    private void RunOnLoop(Action<object?> action, object state)
    {
        if (IsOnLoopThread)
        {
            action(state);
        }
        else
        {
            Post(action, state);
        }
    }
}
