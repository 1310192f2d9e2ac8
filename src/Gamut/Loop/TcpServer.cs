using System.Net;
using System.Net.Sockets;

namespace Gamut.Loop;

/// <summary>
/// A listening TCP socket on an <see cref="EventLoop"/>: each accepted connection gets a new
/// <see cref="TcpProtocol"/> from the factory and a <see cref="TcpTransport"/>, all on the loop thread.
/// </summary>
public sealed unsafe class TcpServer : IIoHandler, IDisposable
{
    private const int AcceptsPerWake = 64;

    private readonly EventLoop _loop;
    private readonly Socket _listener;
    private readonly Func<TcpProtocol> _factory;
    private readonly int _fd;
    private ulong _id = ulong.MaxValue; // none yet
    private volatile bool _closed;

    internal TcpServer(EventLoop loop, Socket listener, Func<TcpProtocol> factory)
    {
        _loop = loop;
        _listener = listener;
        _factory = factory;
        _fd = (int)listener.Handle;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>The address the server listens on (with the port the system chose, when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted { get; private set; }

    /// <summary>Stops listening. Open connections stay open. From any thread.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        if (!_loop.IsOnLoopThread)
        {
            try
            {
                _loop.Post(static s => ((TcpServer)s!).Dispose(), this);
            }
            catch (Executors.ExecutorClosedException)
            {
                _listener.Dispose();
            }

            return;
        }

        _closed = true;
        if (_id != ulong.MaxValue)
        {
            _loop.Poller.Remove(_id, _fd);
        }

        _listener.Dispose();
        _loop.Untrack(this);
    }

    internal void Start()
    {
        if (_closed)
        {
            return;
        }

        _id = _loop.Poller.Add(_fd, Libc.EPOLLIN, this);
        _loop.Track(this);
    }

    void IIoHandler.OnReady(uint events)
    {
        for (var i = 0; i < AcceptsPerWake && !_closed; i++)
        {
            var fd = Libc.accept4(_fd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = Libc.Errno;
                if (errno != Libc.EAGAIN && errno != Libc.EINTR)
                {
                    // Out of descriptors, or the peer gave up before we accepted: report and try at the next wake.
                    LoopLog.ConnectionFailed(_loop.Logger, SocketErrors.From(errno));
                }

                return;
            }

            Accepted++;
            Socket socket;
            try
            {
                socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true)) { NoDelay = true };
            }
            catch (SocketException e)
            {
                Libc.close(fd);
                LoopLog.ConnectionFailed(_loop.Logger, e);
                continue;
            }

            TcpProtocol protocol;
            try
            {
                protocol = _factory() ?? throw new InvalidOperationException("The protocol factory returned null");
            }
            catch (Exception e)
            {
                socket.Dispose();
                LoopLog.HandlerFailed(_loop.Logger, e);
                continue;
            }

            new TcpTransport(_loop, socket, protocol).Start();
        }
    }
}
