using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests.Unique;

/// <summary>Unique jobs (issue 17): a key and a window within which a second enqueue with the same key returns the existing job.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class UniqueJobTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    [Fact]
    public async Task A_second_enqueue_with_the_key_inside_its_window_returns_the_existing_job_and_one_runs()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var first = await client.EnqueueUniqueAsync(Square, 3, "report:42", TimeSpan.FromMinutes(5));
        var racers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.EnqueueUniqueAsync(Square, 4, "report:42", TimeSpan.FromMinutes(5))));
        Assert.True(first.Created);
        Assert.All(racers, r => Assert.Equal((first.Job, false), (r.Job, r.Created)));
        var other = await client.EnqueueUniqueAsync(Square, 5, "report:43", TimeSpan.FromMinutes(5));
        Assert.True(other.Created);
        Assert.NotEqual(first.Job, other.Job);
        Assert.Equal("2", await redis.Server.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:stats", "enqueued"));

        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        Assert.Equal(9, await client.WaitAsync<int>(first.Job).WaitAsync(TestOptions.Guard));
        // The key holds for its window even after the job ended (its record is kept for the result TTL).
        Assert.False((await client.EnqueueUniqueAsync(Square, 6, "report:42", TimeSpan.FromMinutes(5))).Created);
    }

    [Fact]
    public async Task After_the_window_the_key_creates_a_new_job_and_a_key_whose_job_is_gone_does_not_hold()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var key = $"{options.KeyPrefix}:{{default}}:uniq:k";
        var first = await client.EnqueueUniqueAsync(Square, 1, "k", TimeSpan.FromMilliseconds(300));
        Assert.True(first.Created);
        await Wait.UntilAsync(async () => await redis.Server.CliAsync("EXISTS", key) == "0", "the window passed");
        var second = await client.EnqueueUniqueAsync(Square, 2, "k", TimeSpan.FromMinutes(5));
        Assert.True(second.Created);
        Assert.NotEqual(first.Job, second.Job);

        // Its job deleted (e.g. expired): the key no longer holds.
        await redis.Server.CliAsync("DEL", $"{options.KeyPrefix}:{{default}}:job:{second.Job.Id}");
        Assert.True((await client.EnqueueUniqueAsync(Square, 3, "k", TimeSpan.FromMinutes(5))).Created);
    }

    [Fact]
    public async Task A_malformed_key_or_window_is_refused_before_anything_is_written()
    {
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        Assert.Contains("is not 1-200", (await Assert.ThrowsAsync<ArgumentException>(() => client.EnqueueUniqueAsync(Square, 1, "has space", TimeSpan.FromMinutes(1)))).Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.EnqueueUniqueAsync(Square, 1, "k", TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.EnqueueUniqueAsync(Square, 1, "k", TimeSpan.FromDays(31)));
        Assert.Equal("", await redis.Server.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:stats", "enqueued"));
    }
}
