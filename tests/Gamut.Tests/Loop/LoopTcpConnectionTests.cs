using System.Net;
using System.Net.Sockets;
using Gamut.Loop;

namespace Gamut.Tests.Loop;

public sealed class LoopTcpConnectionTests
{
    private static readonly TimeSpan HangGuard = EventLoopTests.HangGuard;
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task A_server_handler_awaits_reads_and_writes_and_every_await_resumes_on_the_loop()
    {
        await using var loop = new EventLoop();
        var threads = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var server = loop.ListenTcp(AnyLoopbackPort, async connection =>
        {
            var buffer = new byte[1024];
            int n;
            while ((n = await connection.ReadAsync(buffer)) > 0)
            {
                threads.Add(Environment.CurrentManagedThreadId);
                await connection.WriteAsync(buffer.AsMemory(0, n));
                threads.Add(Environment.CurrentManagedThreadId);
            }
        });

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        var stream = client.GetStream();
        for (var i = 0; i < 50; i++)
        {
            var message = System.Text.Encoding.ASCII.GetBytes($"message {i}");
            await stream.WriteAsync(message);
            var back = new byte[message.Length];
            await stream.ReadExactlyAsync(back).AsTask().WaitAsync(HangGuard);
            Assert.Equal(message, back);
        }

        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(HangGuard));
        Assert.NotEmpty(threads);
        Assert.All(threads, t => Assert.Equal(loop.ThreadId, t));
    }

    [Fact]
    public async Task A_loop_job_connects_and_talks_with_awaits_that_resume_on_the_loop()
    {
        await using var loop = new EventLoop();
        using var server = loop.ListenTcp(AnyLoopbackPort, async connection =>
        {
            var buffer = new byte[16];
            var n = await connection.ReadAsync(buffer);
            await connection.WriteAsync(buffer.AsMemory(0, n).ToArray().Reverse().ToArray());
        });

        var (reply, threadIds) = await loop.SubmitAsync(async ctx =>
        {
            var seen = new List<int>();
            await using var connection = await loop.ConnectAsync(server.LocalEndPoint, ctx.CancellationToken);
            seen.Add(Environment.CurrentManagedThreadId);
            await connection.WriteAsync("abc"u8.ToArray(), ctx.CancellationToken);
            var buffer = new byte[3];
            var got = 0;
            while (got < 3)
            {
                var n = await connection.ReadAsync(buffer.AsMemory(got), ctx.CancellationToken);
                Assert.True(n > 0);
                got += n;
                seen.Add(Environment.CurrentManagedThreadId);
            }

            Assert.Equal(0, await connection.ReadAsync(buffer, ctx.CancellationToken));
            return (System.Text.Encoding.ASCII.GetString(buffer), seen);
        }).WaitAsync(HangGuard);

        Assert.Equal("cba", reply);
        Assert.All(threadIds, t => Assert.Equal(loop.ThreadId, t));
    }

    [Fact]
    public async Task A_pending_read_can_be_cancelled_and_the_connection_still_works()
    {
        await using var loop = new EventLoop();
        var canceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = loop.ListenTcp(AnyLoopbackPort, async connection =>
        {
            var buffer = new byte[16];
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ReadAsync(buffer, cts.Token).AsTask());
            canceled.TrySetResult();
            var n = await connection.ReadAsync(buffer);
            await connection.WriteAsync(buffer.AsMemory(0, n));
        });

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        await canceled.Task.WaitAsync(HangGuard); // the late bytes are sent only once the first read was cancelled
        await client.GetStream().WriteAsync("late"u8.ToArray());
        var back = new byte[4];
        await client.GetStream().ReadExactlyAsync(back).AsTask().WaitAsync(HangGuard);

        Assert.Equal("late"u8.ToArray(), back);
    }

    [Fact]
    public async Task A_handler_that_throws_is_reported_and_its_connection_aborted()
    {
        await using var loop = new EventLoop();
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.CallbackFailed += (_, e) => failed.TrySetResult(e.Exception);
        using var server = loop.ListenTcp(AnyLoopbackPort, async connection =>
        {
            await connection.ReadAsync(new byte[4]);
            throw new InvalidDataException("handler bug");
        });

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        await client.GetStream().WriteAsync("x"u8.ToArray());

        Assert.IsType<InvalidDataException>(await failed.Task.WaitAsync(HangGuard));
        try
        {
            Assert.Equal(0, await client.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(HangGuard));
        }
        catch (IOException)
        {
            // An abort may reach the client as a reset rather than an orderly end: either way the connection is gone.
        }
    }

    [Fact]
    public async Task A_large_write_waits_for_the_peer_and_all_of_it_arrives()
    {
        await using var loop = new EventLoop();
        var payload = new byte[4 * 1024 * 1024];
        new Random(5).NextBytes(payload);
        using var server = loop.ListenTcp(AnyLoopbackPort, async connection =>
        {
            for (var offset = 0; offset < payload.Length; offset += 512 * 1024)
            {
                await connection.WriteAsync(payload.AsMemory(offset, 512 * 1024));
            }
        });

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        var received = new byte[payload.Length];
        await client.GetStream().ReadExactlyAsync(received).AsTask().WaitAsync(HangGuard);

        Assert.Equal(payload, received);
    }
}
