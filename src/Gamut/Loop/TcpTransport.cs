using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Gamut.Loop;

/// <summary>
/// One TCP connection driven by an <see cref="EventLoop"/>: the loop thread reads it when epoll says it is
/// readable and hands the bytes to its <see cref="TcpProtocol"/>; <see cref="Write"/> sends at once and buffers
/// only what the kernel would not take. Use it from the loop thread only.
/// </summary>
public sealed unsafe class TcpTransport : IIoHandler, IDisposable
{
    private const int InitialWriteBuffer = 4096;

    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly TcpProtocol _protocol;
    private readonly int _fd;
    private ulong _id = ulong.MaxValue; // none yet
    private uint _events;
    private readonly ByteQueue _out = new(InitialWriteBuffer);
    private bool _closing;
    private bool _closed;
    private bool _paused;

    internal TcpTransport(EventLoop loop, Socket socket, TcpProtocol protocol)
    {
        _loop = loop;
        _socket = socket;
        _protocol = protocol;
        _fd = (int)socket.Handle;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
    }

    /// <summary>The loop this connection runs on.</summary>
    public EventLoop Loop => _loop;

    /// <summary>The peer's address.</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>This side's address.</summary>
    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>Whether the connection is closed (or closing: no more writes are accepted).</summary>
    public bool IsClosed => _closed || _closing;

    /// <summary>Bytes written and not yet taken by the kernel. Pause producing when this grows (see <see cref="TcpProtocol.OnWriteDrained"/>).</summary>
    public int BufferedBytes => _out.Count;

    /// <summary>Sends <paramref name="data"/>: what the kernel takes now goes at once, the rest is buffered and sent when the socket is writable.</summary>
    /// <param name="data">The bytes (copied if they must wait).</param>
    /// <exception cref="InvalidOperationException">The connection is closed or closing, or the call is not on the loop thread.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_closed || _closing)
        {
            throw new InvalidOperationException("The connection is closed");
        }

        _loop.VerifyAccess();
        if (data.IsEmpty)
        {
            return;
        }

        var sent = 0;
        if (_out.Count == 0)
        {
            sent = Send(data);
            if (sent < 0 || sent == data.Length)
            {
                return;
            }
        }

        _out.Append(data[sent..]);
        Watch(_events | Libc.EPOLLOUT);
    }

    /// <summary>Closes the connection once buffered bytes are sent; nothing more is read.</summary>
    public void Close()
    {
        if (_closed || _closing)
        {
            return;
        }

        _loop.VerifyAccess();
        if (_out.Count == 0)
        {
            CloseNow(null);
            return;
        }

        _closing = true;
        Watch(Libc.EPOLLOUT);
    }

    /// <summary>Closes the connection now, dropping buffered bytes.</summary>
    public void Abort() => CloseNow(null);

    /// <summary>Stops reading (the peer's writes back up in the kernel, then in the peer): back-pressure.</summary>
    public void PauseReading()
    {
        if (!_closed && !_paused)
        {
            _paused = true;
            Watch(_events & ~Libc.EPOLLIN);
        }
    }

    /// <summary>Starts reading again after <see cref="PauseReading"/>.</summary>
    public void ResumeReading()
    {
        if (!_closed && _paused)
        {
            _paused = false;
            Watch(_events | Libc.EPOLLIN);
        }
    }

    /// <summary>Same as <see cref="Abort"/>; the loop disposes what is still open when it stops.</summary>
    public void Dispose()
    {
        if (_loop.IsOnLoopThread)
        {
            Abort();
        }
        else
        {
            _socket.Dispose();
        }
    }

    internal void Start()
    {
        _protocol.Attach(this);
        _events = Libc.EPOLLIN;
        _id = _loop.Poller.Add(_fd, _events, this);
        _loop.Track(this);
        try
        {
            _protocol.OnConnected();
        }
        catch (Exception e)
        {
            CloseNow(e);
        }
    }

    void IIoHandler.OnReady(uint events)
    {
        if (_closed)
        {
            return;
        }

        if ((events & (Libc.EPOLLIN | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0 && (!_paused || (events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) && !_closing)
        {
            Read();
        }

        if (!_closed && (events & Libc.EPOLLOUT) != 0)
        {
            Flush();
        }
    }

    private void Read()
    {
        var buffer = _loop.ReadBuffer;
        nint n;
        fixed (byte* p = buffer)
        {
            do
            {
                n = Libc.recv(_fd, p, buffer.Length, 0);
            }
            while (n < 0 && Libc.Errno == Libc.EINTR);
        }

        if (n > 0)
        {
            try
            {
                _protocol.OnData(new ReadOnlySpan<byte>(buffer, 0, (int)n));
            }
            catch (Exception e)
            {
                CloseNow(e);
            }

            return;
        }

        if (n == 0)
        {
            try
            {
                _protocol.OnEndOfStream();
            }
            catch (Exception e)
            {
                CloseNow(e);
                return;
            }

            Close();
            return;
        }

        var errno = Libc.Errno;
        if (errno != Libc.EAGAIN)
        {
            CloseNow(SocketErrors.From(errno));
        }
    }

    // Returns the bytes sent, or -1 when the connection failed (and is now closed).
    private int Send(ReadOnlySpan<byte> data)
    {
        nint n;
        fixed (byte* p = data)
        {
            do
            {
                n = Libc.send(_fd, p, data.Length, Libc.MSG_NOSIGNAL);
            }
            while (n < 0 && Libc.Errno == Libc.EINTR);
        }

        if (n >= 0)
        {
            return (int)n;
        }

        var errno = Libc.Errno;
        if (errno == Libc.EAGAIN)
        {
            return 0;
        }

        CloseNow(SocketErrors.From(errno));
        return -1;
    }

    private void Flush()
    {
        if (_out.Count > 0)
        {
            var sent = Send(_out.Pending);
            if (sent < 0)
            {
                return;
            }

            _out.Consume(sent);
            if (_out.Count > 0)
            {
                return;
            }
        }

        _out.Release();
        if (_closing)
        {
            CloseNow(null);
            return;
        }

        Watch(_events & ~Libc.EPOLLOUT);
        try
        {
            _protocol.OnWriteDrained();
        }
        catch (Exception e)
        {
            CloseNow(e);
        }
    }

    private void Watch(uint events)
    {
        if (events != _events && !_closed)
        {
            _events = events;
            _loop.Poller.Modify(_id, _fd, events);
        }
    }

    private void CloseNow(Exception? error)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_id != ulong.MaxValue)
        {
            _loop.Poller.Remove(_id, _fd);
        }

        _socket.Dispose();
        _out.Release();
        _loop.Untrack(this);
        if (error is not null)
        {
            LoopLog.ConnectionFailed(_loop.Logger, error);
        }

        try
        {
            _protocol.OnClosed(error);
        }
        catch (Exception e)
        {
            LoopLog.HandlerFailed(_loop.Logger, e);
        }
    }
}
