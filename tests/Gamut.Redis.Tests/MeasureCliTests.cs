using System.Text.Json;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary><c>gamut measure --redis</c> as a real process against the shared server: the Redis figures and the work they counted.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class MeasureCliTests(SharedRedis redis)
{
    [Fact]
    public async Task Measure_with_redis_moves_data_through_it_and_runs_jobs_on_it_then_leaves_no_key_behind()
    {
        var (code, stdout, stderr) = await Tools.GamutAsync("measure", "--smoke", "--only", "ipc,executors", "--redis", redis.Server.Url, "--json", "--no-progress");
        Assert.True(code == 0, $"exit {code}\n{stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var figures = root.GetProperty("figures").EnumerateArray().ToList();

        var data = figures.Where(f => f.GetProperty("group").GetString() == "redis").ToList();
        Assert.Equal([64L, 1024 * 1024], data.Select(f => f.GetProperty("bytes").GetInt64()));
        Assert.All(data, f => Assert.True(f.GetProperty("work").GetInt64() >= f.GetProperty("samples").GetInt64() * f.GetProperty("bytes").GetInt64()));

        var jobs = figures.Where(f => f.GetProperty("group").GetString() == "Redis").ToList();
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, f => Assert.True(f.GetProperty("work").GetInt64() >= f.GetProperty("samples").GetInt64() && f.GetProperty("samples").GetInt64() >= 3));

        Assert.DoesNotContain(root.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("what").GetString()!.Contains("Redis", StringComparison.Ordinal));
        Assert.Contains(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("title").GetString() == "Redis adds a network round trip");

        // The run keeps everything under a prefix of its own and deletes it at the end.
        var left = await Tools.RedisCliAsync(redis.Server.Port, ["--scan", "--pattern", "*gamut-measure-*"], cluster: RedisServer.ClusterMode);
        Assert.Equal("", left.Trim());
    }
}
