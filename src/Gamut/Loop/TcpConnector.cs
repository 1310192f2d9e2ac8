using System.Net;
using System.Net.Sockets;

namespace Gamut.Loop;

/// <summary>A non-blocking connect driven by the loop: start it, wait until the socket is writable, read its error.</summary>
internal sealed class TcpConnector : IIoHandler
{
    private readonly EventLoop _loop;
    private readonly IPEndPoint _endpoint;
    private readonly TcpProtocol _protocol;
    private readonly CancellationToken _cancellationToken;
    private readonly TaskCompletionSource<TcpTransport> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _socket;
    private ulong _id = ulong.MaxValue; // none yet
    private CancellationTokenRegistration _registration;

    public TcpConnector(EventLoop loop, IPEndPoint endpoint, TcpProtocol protocol, CancellationToken cancellationToken)
    {
        _loop = loop;
        _endpoint = endpoint;
        _protocol = protocol;
        _cancellationToken = cancellationToken;
    }

    public Task<TcpTransport> Task => _completion.Task;

    public void Start()
    {
        if (_cancellationToken.IsCancellationRequested)
        {
            _completion.TrySetCanceled(_cancellationToken);
            return;
        }

        _socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false, NoDelay = true };
        try
        {
            _socket.Connect(_endpoint);
            Connected();
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
        }
        catch (SocketException e)
        {
            Fail(e);
            return;
        }

        _id = _loop.Poller.Add((int)_socket.Handle, Libc.EPOLLOUT, this);
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(static s =>
            {
                var self = (TcpConnector)s!;
                self._loop.Enqueue(new LoopWork((Action<object?>)(static c => ((TcpConnector)c!).Cancel()), self), throwIfStopped: false);
            }, this);
        }
    }

    void IIoHandler.OnReady(uint events)
    {
        if (_socket is null || _completion.Task.IsCompleted)
        {
            return;
        }

        Unwatch();
        var error = (SocketError)(int)_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error == SocketError.Success)
        {
            Connected();
        }
        else
        {
            Fail(new SocketException((int)error));
        }
    }

    private void Connected()
    {
        _registration.Dispose();
        var transport = new TcpTransport(_loop, _socket!, _protocol);
        transport.Start();
        _completion.TrySetResult(transport);
    }

    private void Cancel()
    {
        if (_completion.Task.IsCompleted)
        {
            return;
        }

        Unwatch();
        _socket?.Dispose();
        _completion.TrySetCanceled(_cancellationToken);
    }

    private void Fail(Exception error)
    {
        _registration.Dispose();
        Unwatch();
        _socket?.Dispose();
        _completion.TrySetException(error);
    }

    private void Unwatch()
    {
        if (_id != ulong.MaxValue)
        {
            _loop.Poller.Remove(_id, (int)_socket!.Handle);
            _id = ulong.MaxValue;
        }
    }
}
