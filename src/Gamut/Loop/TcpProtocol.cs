namespace Gamut.Loop;

/// <summary>
/// What a TCP connection on an <see cref="EventLoop"/> does with its events, in the style of Twisted's
/// <c>Protocol</c> and asyncio's <c>Protocol</c>: derive, override what you need, write with
/// <see cref="Transport"/>. Every method runs on the loop thread; none may block.
/// </summary>
/// <example>
/// <code>
/// sealed class Echo : TcpProtocol
/// {
///     public override void OnData(ReadOnlySpan&lt;byte&gt; data) => Transport.Write(data);
/// }
/// var server = loop.ListenTcp(new IPEndPoint(IPAddress.Loopback, 7000), () => new Echo());
/// </code>
/// </example>
public abstract class TcpProtocol
{
    private TcpTransport? _transport;

    /// <summary>The connection: write to it, pause it, close it. Set before <see cref="OnConnected"/>.</summary>
    protected TcpTransport Transport => _transport ?? throw new InvalidOperationException("The protocol is not connected yet");

    /// <summary>The connection is open.</summary>
    public virtual void OnConnected()
    {
    }

    /// <summary>Bytes arrived. <paramref name="data"/> is valid only during the call (it is the loop's read buffer): copy what you keep.</summary>
    /// <param name="data">The bytes, as many as one read gave (message boundaries are not kept by TCP).</param>
    public abstract void OnData(ReadOnlySpan<byte> data);

    /// <summary>The peer closed its side; the transport closes once what was written is sent.</summary>
    public virtual void OnEndOfStream()
    {
    }

    /// <summary>Everything written has been handed to the kernel (after a write had to be buffered).</summary>
    public virtual void OnWriteDrained()
    {
    }

    /// <summary>The connection is closed; nothing more will arrive.</summary>
    /// <param name="error">Why, when it was an error (a reset, a failed write, an exception in a handler); null for a clean close.</param>
    public virtual void OnClosed(Exception? error)
    {
    }

    internal void Attach(TcpTransport transport) => _transport = transport;
}
