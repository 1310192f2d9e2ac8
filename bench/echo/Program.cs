using System.Net;
using Gamut.Loop;

// A TCP echo server on Gamut's event loop: gamut-echo PORT [protocol|async]
//   protocol (default): a TcpProtocol whose OnData writes the bytes back (Twisted/asyncio Protocol style);
//   async: a handler per connection that awaits ReadAsync/WriteAsync on a TcpConnection.
var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
var mode = args.Length > 1 ? args[1] : "protocol";
// The loop's defaults, blocked-loop watchdog on, as users get it; GAMUT_ECHO_NO_WATCHDOG=1 turns it off (for comparison).
await using var loop = new EventLoop(Environment.GetEnvironmentVariable("GAMUT_ECHO_NO_WATCHDOG") == "1"
    ? new EventLoopOptions { BlockedThreshold = null }
    : new EventLoopOptions());
var endpoint = new IPEndPoint(IPAddress.Loopback, port);
using var server = mode == "async"
    ? loop.ListenTcp(endpoint, EchoAsync)
    : loop.ListenTcp(endpoint, () => new Echo());
Console.WriteLine($"listening on {server.LocalEndPoint} ({mode})");
if (Environment.GetEnvironmentVariable("GAMUT_ECHO_STATS") == "1")
{
    // Allocation and collections as the server runs: the message path should allocate nothing.
    _ = Task.Run(async () =>
    {
        while (true)
        {
            await Task.Delay(1000);
            Console.Error.WriteLine($"allocated={GC.GetTotalAllocatedBytes(precise: true)} gen0={GC.CollectionCount(0)} threads={System.Diagnostics.Process.GetCurrentProcess().Threads.Count}");
        }
    });
}
await Task.Delay(Timeout.Infinite);

static async Task EchoAsync(TcpConnection connection)
{
    var buffer = new byte[65536];
    int n;
    while ((n = await connection.ReadAsync(buffer)) > 0)
    {
        await connection.WriteAsync(buffer.AsMemory(0, n));
    }
}

internal sealed class Echo : TcpProtocol
{
    public override void OnData(ReadOnlySpan<byte> data) => Transport.Write(data);
}
