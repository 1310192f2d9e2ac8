using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>The fault proxy does what each toxic says, against a real redis-server and a real client.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class FaultProxyTests(SharedRedis redis)
{
    private static async Task<ConnectionMultiplexer> ConnectAsync(FaultProxy proxy, int timeoutMs = 1000)
    {
        var config = ConfigurationOptions.Parse($"127.0.0.1:{proxy.Port}");
        config.SyncTimeout = config.AsyncTimeout = config.ConnectTimeout = timeoutMs;
        config.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(config);
    }

    private static string Key() => "proxy:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task With_one_to_three_byte_segments_and_a_bandwidth_cap_replies_still_arrive_whole()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy, 20_000);
        var db = mux.GetDatabase();
        var key = Key();
        var value = string.Concat(Enumerable.Range(0, 3000).Select(i => (char)('a' + (i % 26))));
        await db.StringSetAsync(key, value);

        proxy.Set(new Toxics { SliceBytes = 3 });
        Assert.Equal(value, (string?)await db.StringGetAsync(key));
        Assert.True(proxy.Segments >= value.Length / 3, $"only {proxy.Segments} segments for a {value.Length}-byte reply");

        proxy.Set(new Toxics { BytesPerSecond = 50_000 });
        Assert.Equal(value, (string?)await db.StringGetAsync(key));
    }

    [Fact]
    public async Task Latency_holds_every_reply_at_least_as_long_as_asked()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy, 5000);
        var db = mux.GetDatabase();
        await db.PingAsync();
        proxy.Set(new Toxics { Latency = TimeSpan.FromMilliseconds(300), Jitter = TimeSpan.FromMilliseconds(50) });
        var clock = Stopwatch.StartNew();
        await db.PingAsync();

        // A lower bound only: a held reply cannot come back sooner than it was held.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"the reply came back after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_blackhole_makes_commands_time_out_and_the_held_data_flows_when_it_ends()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy, 500);
        var db = mux.GetDatabase();
        var key = Key();
        await db.PingAsync();
        proxy.Set(new Toxics { Blackhole = true });
        await Assert.ThrowsAsync<RedisTimeoutException>(() => db.StringSetAsync(key, "held"));
        Assert.Equal("", await redis.Server.CliAsync("GET", key));
        proxy.Clear();
        await Wait.UntilAsync(async () => await redis.Server.CliAsync("GET", key) == "held", "the held command reached Redis");
        await Wait.UntilAsync(async () => (await db.StringGetAsync(key)) == "held", "the connection works again");
    }

    [Fact]
    public async Task The_data_limit_cuts_a_reply_mid_way_and_the_client_reconnects_after()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy, 2000);
        var db = mux.GetDatabase();
        var key = Key();
        await db.StringSetAsync(key, new string('x', 100_000));
        proxy.Set(new Toxics { LimitReplyBytes = 1000 });
        await Assert.ThrowsAnyAsync<RedisException>(() => db.StringGetAsync(key));
        Assert.True(proxy.Cuts >= 1);
        proxy.Clear();
        await Wait.UntilAsync(async () =>
        {
            try
            {
                return ((string?)await db.StringGetAsync(key))?.Length == 100_000;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return false;
            }
        }, "a whole reply after the limit is lifted");
    }

    [Fact]
    public async Task Reset_ends_open_connections_and_down_refuses_new_ones_until_up()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy);
        await mux.GetDatabase().PingAsync();
        Assert.True(proxy.ResetPeers() >= 1);
        Assert.True(proxy.Resets >= 1);

        proxy.Down();
        using (var probe = new TcpClient())
        {
            await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", proxy.Port));
        }

        proxy.Up();
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await mux.GetDatabase().PingAsync();
                return true;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return false;
            }
        }, "the client reconnected after the proxy came back");
    }

    [Fact]
    public async Task Down_refuses_new_connections_even_while_another_process_holds_a_copy_of_the_listening_socket()
    {
        // The suite starts redis-server, redis-cli and workers on other threads all the time; a child between fork
        // and exec holds a copy of every descriptor of this process, the proxy's listening socket too. The copy is
        // made here with dup(), so the moment is not left to chance: closing our descriptor alone would leave the
        // port listening (the kernel completing the probe's connection), as it once did under load.
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        var copy = dup(checked((int)proxy.ListeningSocket));
        Assert.True(copy >= 0, $"dup failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            proxy.Down();
            using var probe = new TcpClient();
            var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", proxy.Port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            close(copy);
        }
    }

    [Fact]
    public async Task Toxics_can_target_only_the_pubsub_connection()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        await using var mux = await ConnectAsync(proxy);
        var channel = RedisChannel.Literal(Key());
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await mux.GetSubscriber().SubscribeAsync(channel, (_, m) => received.TrySetResult((string)m!));
        await mux.GetDatabase().PingAsync();

        proxy.Set(new Toxics { Blackhole = true, Role = ConnectionRole.Subscriber });
        Assert.Equal("1", await redis.Server.CliAsync("PUBLISH", channel.ToString(), "hello"));
        await mux.GetDatabase().PingAsync();    // commands still pass
        await Task.Delay(300);
        Assert.False(received.Task.IsCompleted, "the message crossed a blackholed subscriber connection");

        proxy.Clear();
        Assert.Equal("hello", await received.Task.WaitAsync(TestOptions.Guard));
    }

    // DllImport, not LibraryImport: the test project does not allow unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
