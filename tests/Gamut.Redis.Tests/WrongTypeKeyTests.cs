using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>Issue 12: keys of the wrong type written by another client, an operator or an older version.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class WrongTypeKeyTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    [Fact]
    public async Task A_worker_skips_a_queue_whose_key_has_the_wrong_type_names_it_and_serves_the_others()
    {
        var server = redis.Server;
        var log = new ListLogger();
        var options = TestOptions.For(server).WithLogger(log);
        var broken = $"{options.KeyPrefix}:{{q2}}:queue";
        await server.CliAsync("SET", broken, "not a list");

        // The broken queue comes first: before, its error ended every pass before the next queue was tried.
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["q2", "default"], Concurrency = 2 });
        await using var client = await RedisExecutor.ConnectAsync(options);
        var job = await client.EnqueueAsync(Square, 7);
        Assert.Equal(49, await client.WaitAsync<int>(job).WaitAsync(TestOptions.Guard));

        var warning = Assert.Single(log.Warnings, w => w.Contains("skipping queue q2", StringComparison.Ordinal));
        Assert.Contains(broken, warning, StringComparison.Ordinal);
        Assert.Contains("holds a string, expected a list", warning, StringComparison.Ordinal);

        // Enqueueing into it is refused with the key named, and leaves nothing behind.
        var refused = await Assert.ThrowsAsync<RedisKeyTypeException>(() => client.EnqueueAsync(Square, 3, new JobOptions { Queue = "q2" }));
        Assert.Equal(broken, refused.Key);
        Assert.Empty((await server.CliAsync("KEYS", $"{options.KeyPrefix}:{{q2}}:job:*")).Trim());

        // Fixed, it is served again.
        await server.CliAsync("DEL", broken);
        var later = await client.EnqueueAsync(Square, 5, new JobOptions { Queue = "q2" });
        Assert.Equal(25, await client.WaitAsync<int>(later).WaitAsync(TestOptions.Guard));
    }

    [Theory]
    [InlineData("workers", "zset")]
    [InlineData("queues", "set")]
    public async Task A_worker_refuses_to_start_on_a_global_key_of_the_wrong_type_and_names_it(string name, string expected)
    {
        var server = redis.Server;
        var options = TestOptions.For(server);
        var key = $"{options.KeyPrefix}:{name}";
        await server.CliAsync("SET", key, "not a " + expected);
        var error = await Assert.ThrowsAsync<RedisKeyTypeException>(async () =>
        {
            await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Queues = ["default"], Concurrency = 1 });
        });
        Assert.Equal(key, error.Key);
        Assert.Equal(expected, error.ExpectedType);
        Assert.Equal("string", error.ActualType);
    }
}
