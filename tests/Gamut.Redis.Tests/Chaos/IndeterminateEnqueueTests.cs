using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests.Chaos;

/// <summary>RELIABILITY.md §3.1: an enqueue whose reply is lost is indeterminate, and retrying it with the same id is safe.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class IndeterminateEnqueueTests(SharedRedis redis)
{
    [Fact]
    public async Task An_enqueue_whose_reply_was_cut_is_indeterminate_and_retrying_it_with_the_same_id_makes_one_job()
    {
        var server = redis.Server;
        await using var proxy = FaultProxy.Start(server.Port);
        var options = TestOptions.For(server);
        // A command timeout short enough to keep the test quick, long enough for the first commands (start-up checks,
        // script loads) on a loaded 2-core machine.
        var proxied = options with { Configuration = RedisUrl.Parse(proxy.Url + "?timeout=3000") };
        var tag = $"{options.KeyPrefix}:{{default}}:";
        var square = JobRef.To<SquareJob, int, int>();
        await using var client = await RedisExecutor.ConnectAsync(proxied);
        await client.EnqueueAsync(square, 1);    // the script is loaded: the next call runs it by its SHA

        // Every reply to the script call is cut before its first byte: the script runs in Redis, the client never hears
        // of it. Only on the command connection, and only from the script call on: a heartbeat's or health ping's reply
        // cut first would close the connection before the call was sent, and then nothing would have run at all.
        proxy.Set(new Toxics { LimitReplyBytes = 0, LimitAfterRequest = "EVALSHA", Role = ConnectionRole.Interactive });
        var id = JobIds.New();
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => client.EnqueueAsync(square, 7, new JobOptions { Id = id })).WaitAsync(TestOptions.Guard);
        Assert.Equal(id, error.Job?.Id);
        Assert.True(proxy.Cuts >= 1);
        Assert.Equal("queued", await server.CliAsync("HGET", tag + "job:" + id, "s"));

        proxy.Clear();
        JobHandle handle = default;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                handle = await client.EnqueueAsync(square, 7, new JobOptions { Id = id });
                return true;
            }
            catch (RedisUnavailableException)
            {
                return false;
            }
        }, "the retried enqueue was confirmed");

        Assert.Equal("2", await server.CliAsync("HGET", tag + "stats", "enqueued"));
        Assert.Equal("2", await server.CliAsync("LLEN", tag + "queue"));
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        Assert.Equal(49, await client.WaitAsync<int>(handle).WaitAsync(TestOptions.Guard));
        Assert.Equal(1, (await client.GetStatusAsync(handle)).Deliveries);
    }
}
