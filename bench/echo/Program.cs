using System.Net;
using Gamut.Loop;

// A TCP echo server on Gamut's event loop: usage gamut-echo PORT [protocol|async]
var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
await using var loop = new EventLoop(new EventLoopOptions { BlockedThreshold = null });
using var server = loop.ListenTcp(new IPEndPoint(IPAddress.Loopback, port), () => new Echo());
Console.WriteLine($"listening on {server.LocalEndPoint}");
await Task.Delay(Timeout.Infinite);

internal sealed class Echo : TcpProtocol
{
    public override void OnData(ReadOnlySpan<byte> data) => Transport.Write(data);
}
