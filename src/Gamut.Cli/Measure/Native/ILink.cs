using System.Net.Sockets;

namespace Gamut.Cli.Measure.Native;

/// <summary>One end of a byte stream between the measuring process and its peer.</summary>
internal interface ILink : IDisposable
{
    /// <summary>Writes all of <paramref name="data"/>.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>Reads exactly the buffer's length; false at end of stream before the first byte.</summary>
    bool ReadExactly(Span<byte> buffer);
}

/// <summary>A link over raw descriptors (a pipe pair, or one end of a socket pair for both directions).</summary>
internal sealed class FdLink(int readFd, int writeFd) : ILink
{
    private int _disposed;

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data) => Fd.WriteAll(writeFd, data);

    /// <inheritdoc/>
    public bool ReadExactly(Span<byte> buffer) => Fd.ReadExactly(readFd, buffer);

    /// <inheritdoc/>
    public void Dispose()
    {
        // Once only: a descriptor number closed twice may by then be someone else's.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Fd.Close(readFd);
        if (writeFd != readFd)
        {
            Fd.Close(writeFd);
        }
    }
}

/// <summary>A link over a connected socket (TCP on loopback), with Nagle off: small messages go at once.</summary>
internal sealed class SocketLink : ILink
{
    private readonly Socket _socket;

    public SocketLink(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            data = data[_socket.Send(data)..];
        }
    }

    /// <inheritdoc/>
    public bool ReadExactly(Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = _socket.Receive(buffer[done..]);
            if (n == 0)
            {
                return done == 0 ? false : throw new EndOfStreamException($"the peer closed after {done} of {buffer.Length} bytes");
            }

            done += n;
        }

        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
