using System.Buffers;
using System.Net;
using System.Threading.Tasks.Sources;

namespace Gamut.Loop;

/// <summary>
/// A TCP connection served by the loop, used with <c>await</c> from loop code: <see cref="ReadAsync"/> and
/// <see cref="WriteAsync"/> complete on the loop thread, driven by the loop's own epoll (no runtime socket
/// threads involved). Get one from <see cref="EventLoop.ConnectAsync"/> or a
/// <see cref="EventLoop.ListenTcp(IPEndPoint, Func{TcpConnection, Task}, int)"/> handler. Use it on the loop
/// thread; one read and one write may be pending at a time.
/// </summary>
public sealed class TcpConnection : IAsyncDisposable
{
    /// <summary>Buffered, unsent bytes above which <see cref="WriteAsync"/> waits for the kernel to take some.</summary>
    public const int WriteHighWater = 256 * 1024;

    private readonly StreamProtocol _protocol;

    internal TcpConnection(StreamProtocol protocol) => _protocol = protocol;

    /// <summary>The peer's address.</summary>
    public IPEndPoint? RemoteEndPoint => _protocol.Transport.RemoteEndPoint;

    /// <summary>This side's address.</summary>
    public IPEndPoint? LocalEndPoint => _protocol.Transport.LocalEndPoint;

    /// <summary>The loop serving the connection.</summary>
    public EventLoop Loop => _protocol.Transport.Loop;

    /// <summary>Reads what has arrived, waiting until something has.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Stops waiting (the connection stays open).</param>
    /// <returns>The number of bytes read; 0 once the peer has closed its side.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed (a reset, a failed write).</exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _protocol.ReadAsync(buffer, cancellationToken);

    /// <summary>Sends <paramref name="data"/>; completes at once unless more than <see cref="WriteHighWater"/> bytes wait to be sent.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Stops waiting for the buffer to drain (the bytes stay queued).</param>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => _protocol.WriteAsync(data, cancellationToken);

    /// <summary>Closes the connection once what was written is sent.</summary>
    public void Close() => _protocol.Close();

    /// <summary>Closes the connection (on the loop, from any thread).</summary>
    public ValueTask DisposeAsync()
    {
        if (Loop.IsOnLoopThread)
        {
            Close();
        }
        else
        {
            Loop.Post(static p => ((StreamProtocol)p!).Close(), _protocol);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The protocol behind a <see cref="TcpConnection"/>: buffers what arrives until it is read, and parks one reader and one writer.</summary>
internal sealed class StreamProtocol(Func<TcpConnection, Task>? handler = null) : TcpProtocol, IValueTaskSource<int>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<int> _read = new();
    private ManualResetValueTaskSourceCore<bool> _write = new();
    private readonly ByteQueue _received = new(4096);
    private Memory<byte> _target;
    private bool _reading;
    private bool _writing;
    private bool _ended;
    private Exception? _error;
    private CancellationTokenRegistration _readCancel;
    private CancellationTokenRegistration _writeCancel;

    public new TcpTransport Transport => base.Transport;

    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        Transport.Loop.VerifyAccess();
        if (_reading)
        {
            throw new InvalidOperationException("A read is already pending on this connection");
        }

        if (_received.Count > 0)
        {
            return new ValueTask<int>(Take(destination.Span));
        }

        if (_error is not null)
        {
            return ValueTask.FromException<int>(_error);
        }

        if (_ended || destination.IsEmpty)
        {
            return new ValueTask<int>(0);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        _reading = true;
        _target = destination;
        _read.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            _readCancel = cancellationToken.UnsafeRegister(static (s, token) => ((StreamProtocol)s!).CancelRead(token), this);
        }

        return new ValueTask<int>(this, _read.Version);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Transport.Loop.VerifyAccess();
        if (_error is not null)
        {
            return ValueTask.FromException(_error);
        }

        Transport.Write(data.Span);
        if (Transport.BufferedBytes <= TcpConnection.WriteHighWater)
        {
            return ValueTask.CompletedTask;
        }

        if (_writing)
        {
            throw new InvalidOperationException("A write is already waiting on this connection");
        }

        _writing = true;
        _write.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            _writeCancel = cancellationToken.UnsafeRegister(static (s, token) => ((StreamProtocol)s!).CancelWrite(token), this);
        }

        return new ValueTask(this, _write.Version);
    }

    public void Close() => Transport.Close();

    public override void OnConnected()
    {
        if (handler is not null)
        {
            _ = ServeAsync(handler, new TcpConnection(this));
        }
    }

    public override void OnData(ReadOnlySpan<byte> data)
    {
        if (_reading)
        {
            var n = Math.Min(data.Length, _target.Length);
            data[..n].CopyTo(_target.Span);
            Keep(data[n..]);
            CompleteRead(n);
            return;
        }

        Keep(data);
    }

    public override void OnEndOfStream()
    {
        _ended = true;
        if (_reading)
        {
            CompleteRead(0);
        }
    }

    public override void OnWriteDrained()
    {
        if (_writing)
        {
            _writing = false;
            _writeCancel.Dispose();
            _write.SetResult(true);
        }
    }

    public override void OnClosed(Exception? error)
    {
        _error ??= error;
        _ended = true;
        if (_reading)
        {
            if (error is null)
            {
                CompleteRead(0);
            }
            else
            {
                _reading = false;
                _readCancel.Dispose();
                _read.SetException(error);
            }
        }

        if (_writing)
        {
            _writing = false;
            _writeCancel.Dispose();
            _write.SetException(error ?? new InvalidOperationException("The connection closed before its buffered bytes were sent"));
        }

        if (_received.Count == 0)
        {
            _received.Release();
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.GetResult(short token) => _write.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _write.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _write.OnCompleted(continuation, state, token, flags);

    // Runs a server's handler for this connection on the loop; whatever it throws is reported and ends the connection.
    private async Task ServeAsync(Func<TcpConnection, Task> serve, TcpConnection connection)
    {
        try
        {
            await serve(connection);
        }
        catch (Exception e)
        {
            Transport.Loop.ReportCallbackFailure(e);
            Transport.Abort();
            return;
        }

        Transport.Close();
    }

    private void CompleteRead(int n)
    {
        _reading = false;
        _target = default;
        _readCancel.Dispose();
        _read.SetResult(n);
    }

    // Cancellation callbacks come from any thread: the state they touch belongs to the loop, so they go there.
    private void CancelRead(CancellationToken token) =>
        Transport.Loop.Post(static s =>
        {
            var (self, t) = ((StreamProtocol, CancellationToken))s!;
            if (self._reading)
            {
                self._reading = false;
                self._target = default;
                self._read.SetException(new OperationCanceledException(t));
            }
        }, (this, token));

    private void CancelWrite(CancellationToken token) =>
        Transport.Loop.Post(static s =>
        {
            var (self, t) = ((StreamProtocol, CancellationToken))s!;
            if (self._writing)
            {
                self._writing = false;
                self._write.SetException(new OperationCanceledException(t));
            }
        }, (this, token));

    private int Take(Span<byte> destination)
    {
        var n = _received.TakeInto(destination);
        if (_received.Count < TcpConnection.WriteHighWater / 2)
        {
            Transport.ResumeReading();
        }

        return n;
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        _received.Append(data);

        // Unread bytes past a limit: stop reading, so a slow reader pushes back on its peer instead of buffering.
        if (_received.Count >= TcpConnection.WriteHighWater)
        {
            Transport.PauseReading();
        }
    }
}
