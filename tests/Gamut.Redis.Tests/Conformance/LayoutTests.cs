using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>docs/redis-protocol.md, Versioning: the layout version is stored in Redis and checked by every client and worker at start.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class LayoutTests(SharedRedis redis)
{
    [Fact]
    public async Task A_client_stores_the_layout_version_when_it_is_missing()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);

        Assert.Equal("1", (await redis.Server.CliAsync("GET", options.KeyPrefix + ":layout")).Trim());
    }

    [Fact]
    public async Task A_client_and_a_worker_refuse_keys_in_another_layout_version()
    {
        var options = TestOptions.For(redis.Server);
        await redis.Server.CliAsync("SET", options.KeyPrefix + ":layout", "2");

        var client = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(options));
        var worker = await Assert.ThrowsAsync<RedisStartupException>(() => RedisWorker.StartAsync(options, new RedisWorkerOptions()));

        Assert.Equal(RedisStartupProblem.Layout, client.Problem);
        Assert.Equal(RedisStartupProblem.Layout, worker.Problem);
        Assert.Contains("layout version '2'", client.Message);
    }
}
