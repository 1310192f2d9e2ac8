using System.Buffers.Binary;
using System.Net.Sockets;

namespace Gamut.Pool.Protocol;

/// <summary>
/// One end of the private channel between the pool and a worker: a connected Unix socket carrying frames.
/// Reading is blocking and meant for one dedicated thread; sending is serialized by a lock, so whole frames from
/// several threads never interleave.
/// </summary>
internal sealed class FrameSocket : IDisposable
{
    private const int ReadChunk = 64 * 1024;
    private readonly Socket _socket;
    private readonly object _sendLock = new();
    private readonly long _maxFrame;
    private byte[] _buffer = new byte[ReadChunk];
    private int _start;
    private int _end;

    public FrameSocket(Socket socket, long maxFrame)
    {
        _socket = socket;
        _maxFrame = maxFrame;
    }

    public Socket Socket => _socket;

    /// <summary>
    /// Reads the next frame; false at end of stream (the other side closed or died). The body stays valid until the
    /// next call.
    /// </summary>
    /// <exception cref="ProtocolException">A frame is empty or longer than the limit.</exception>
    /// <exception cref="SocketException">The connection broke.</exception>
    public bool TryRead(out FrameType type, out ReadOnlyMemory<byte> body)
    {
        type = default;
        body = default;
        if (!Fill(4))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        if (length == 0 || length > _maxFrame)
        {
            throw new ProtocolException($"a frame of {length} bytes (the limit is {_maxFrame})");
        }

        if (!Fill(4 + (int)length))
        {
            return false;
        }

        type = (FrameType)_buffer[_start + 4];
        body = _buffer.AsMemory(_start + 5, (int)length - 1);
        _start += 4 + (int)length;
        return true;
    }

    /// <summary>Sends bytes (whole frames) as one unit with respect to other senders.</summary>
    public void Send(ReadOnlySpan<byte> frames)
    {
        lock (_sendLock)
        {
            while (!frames.IsEmpty)
            {
                var n = _socket.Send(frames, SocketFlags.None);
                frames = frames[n..];
            }
        }
    }

    /// <summary>Runs <paramref name="write"/> under the send lock (to build and send a frame atomically).</summary>
    public void WithSendLock<TState>(TState state, Action<TState> write)
    {
        lock (_sendLock)
        {
            write(state);
        }
    }

    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _socket.Dispose();

    private bool Fill(int needed)
    {
        if (_end - _start >= needed)
        {
            return true;
        }

        if (_start > 0)
        {
            // Move the partial frame to the front so the buffer can take the rest.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
        else if (needed <= ReadChunk && _buffer.Length > 4 * 1024 * 1024 && _end <= ReadChunk)
        {
            // A large frame has gone through; give the memory back.
            var small = new byte[ReadChunk];
            _buffer.AsSpan(0, _end).CopyTo(small);
            _buffer = small;
        }

        while (_end < needed)
        {
            var n = _socket.Receive(_buffer.AsSpan(_end), SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            _end += n;
        }

        return true;
    }
}
