using System.Net;
using System.Net.Sockets;
using Gamut.Loop;

namespace Gamut.Tests.Loop;

public sealed class LoopTcpTests
{
    private static readonly TimeSpan HangGuard = EventLoopTests.HangGuard;
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task An_echo_server_on_the_loop_serves_many_clients_and_every_event_is_on_the_loop_thread()
    {
        await using var loop = new EventLoop();
        var threads = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Echo(threads));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(server.LocalEndPoint);
            var stream = client.GetStream();
            for (var round = 0; round < 20; round++)
            {
                var message = System.Text.Encoding.ASCII.GetBytes($"client {i} round {round}");
                await stream.WriteAsync(message);
                var back = new byte[message.Length];
                await stream.ReadExactlyAsync(back);
                Assert.Equal(message, back);
            }
        })).WaitAsync(HangGuard);

        Assert.All(threads, t => Assert.Equal(loop.ThreadId, t));
        Assert.Equal(20, server.Accepted);
    }

    [Fact]
    public async Task A_write_larger_than_the_kernel_takes_is_buffered_and_all_of_it_arrives()
    {
        await using var loop = new EventLoop();
        var payload = new byte[8 * 1024 * 1024];
        new Random(3).NextBytes(payload);
        var drained = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Sender(payload, drained));

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        var received = new byte[payload.Length];
        await client.GetStream().ReadExactlyAsync(received).AsTask().WaitAsync(HangGuard);

        Assert.Equal(payload, received);
        Assert.True(await drained.Task.WaitAsync(HangGuard) > 0, "the write was expected to be buffered at first");
    }

    [Fact]
    public async Task A_client_connection_made_on_the_loop_talks_to_a_server_on_the_same_loop()
    {
        await using var loop = new EventLoop();
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Echo(null));
        var client = new Collector();

        var transport = await loop.ConnectTcpAsync(server.LocalEndPoint, client).WaitAsync(HangGuard);
        await loop.SubmitAsync(() =>
        {
            transport.Write("ping"u8);
            return 0;
        });

        Assert.Equal("ping", await client.Text(4).WaitAsync(HangGuard));
        await loop.SubmitAsync(() =>
        {
            transport.Close();
            return 0;
        });
        Assert.Null(await client.Closed.Task.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails_with_a_socket_error()
    {
        await using var loop = new EventLoop();
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var error = await Assert.ThrowsAsync<SocketException>(() => loop.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port), new Collector()).WaitAsync(HangGuard));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_peer_that_resets_the_connection_is_reported_to_the_protocol_and_the_server_keeps_serving()
    {
        await using var loop = new EventLoop();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Collector(closed));

        using (var rude = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await rude.ConnectAsync(server.LocalEndPoint);
            rude.Send("x"u8);
            rude.LingerState = new LingerOption(true, 0);
        }

        var error = await closed.Task.WaitAsync(HangGuard);
        Assert.True(error is null || error is SocketException { SocketErrorCode: SocketError.ConnectionReset }, $"unexpected {error}");
        using var polite = new TcpClient();
        await polite.ConnectAsync(server.LocalEndPoint).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task A_protocol_that_throws_loses_its_connection_not_the_loop()
    {
        await using var loop = new EventLoop();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Thrower(closed));

        using var client = new TcpClient();
        await client.ConnectAsync(server.LocalEndPoint);
        await client.GetStream().WriteAsync("boom"u8.ToArray());

        Assert.IsType<InvalidDataException>(await closed.Task.WaitAsync(HangGuard));
        Assert.Equal(0, await client.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(HangGuard));
        Assert.Equal(1, await loop.SubmitAsync(() => 1));
    }

    [Fact]
    public async Task Listening_on_a_taken_port_fails_at_once()
    {
        await using var loop = new EventLoop();
        using var first = loop.ListenTcp(AnyLoopbackPort, () => new Echo(null));

        Assert.Throws<SocketException>(() => loop.ListenTcp(first.LocalEndPoint, () => new Echo(null)));
    }

    [Fact]
    public async Task Writing_off_the_loop_thread_is_refused()
    {
        await using var loop = new EventLoop();
        using var server = loop.ListenTcp(AnyLoopbackPort, () => new Echo(null));
        var transport = await loop.ConnectTcpAsync(server.LocalEndPoint, new Collector());

        Assert.Throws<InvalidOperationException>(() => transport.Write("no"u8));
    }

    private sealed class Echo(System.Collections.Concurrent.ConcurrentBag<int>? threads) : TcpProtocol
    {
        public override void OnConnected() => threads?.Add(Environment.CurrentManagedThreadId);

        public override void OnData(ReadOnlySpan<byte> data)
        {
            threads?.Add(Environment.CurrentManagedThreadId);
            Transport.Write(data);
        }
    }

    private sealed class Sender(byte[] payload, TaskCompletionSource<int> drained) : TcpProtocol
    {
        private int _bufferedAtFirst;

        public override void OnConnected()
        {
            Transport.Write(payload);
            _bufferedAtFirst = Transport.BufferedBytes;
            if (_bufferedAtFirst == 0)
            {
                drained.TrySetResult(0);
            }
        }

        public override void OnData(ReadOnlySpan<byte> data)
        {
        }

        public override void OnWriteDrained() => drained.TrySetResult(_bufferedAtFirst);
    }

    private sealed class Collector(TaskCompletionSource<Exception?>? closed = null) : TcpProtocol
    {
        private readonly List<byte> _received = [];
        private readonly TaskCompletionSource<Exception?> _closed = closed ?? new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _enough;
        private int _wanted;

        public TaskCompletionSource<Exception?> Closed => _closed;

        public async Task<string> Text(int length)
        {
            _wanted = length;
            _enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Transport.Loop.SubmitAsync(() =>
            {
                if (_received.Count >= _wanted)
                {
                    _enough.TrySetResult();
                }

                return 0;
            });
            await _enough.Task;
            return System.Text.Encoding.ASCII.GetString([.. _received]);
        }

        public override void OnData(ReadOnlySpan<byte> data)
        {
            _received.AddRange(data);
            if (_enough is not null && _received.Count >= _wanted)
            {
                _enough.TrySetResult();
            }
        }

        public override void OnClosed(Exception? error) => _closed.TrySetResult(error);
    }

    private sealed class Thrower(TaskCompletionSource<Exception?> closed) : TcpProtocol
    {
        public override void OnData(ReadOnlySpan<byte> data) => throw new InvalidDataException("protocol bug");

        public override void OnClosed(Exception? error) => closed.TrySetResult(error);
    }
}
