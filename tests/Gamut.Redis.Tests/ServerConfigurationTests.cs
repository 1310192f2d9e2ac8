using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>
/// RELIABILITY.md §5.5: the Redis configuration checked at start-up, refused or warned about as docs/redis.md says.
/// The decisions are tested on the values a server reports, then each against a real server.
/// </summary>
public sealed class ServerConfigurationTests
{
    private static readonly RedisOptions Defaults = new();

    private static ServerChecks.Verdict Evaluate(string info, string config, RedisOptions? options = null) =>
        ServerChecks.Evaluate(Fields(info, ':'), Fields(config, '='), options ?? Defaults);

    private static Dictionary<string, string> Fields(string text, char separator) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split(separator, 2)).ToDictionary(p => p[0], p => p[1]);

    [Theory]
    [InlineData("redis_version:6.0.16", true)]
    [InlineData("redis_version:5.0.7", true)]
    [InlineData("redis_version:6.2.0", false)]
    [InlineData("redis_version:7.0.15", false)]
    public void A_redis_older_than_6_2_is_refused(string info, bool refused)
    {
        var verdict = Evaluate(info, "");
        Assert.Equal(refused, verdict.Refusal is { Problem: RedisStartupProblem.Version });
    }

    [Fact]
    public void Each_risky_setting_gets_its_own_refusal_or_warning()
    {
        Assert.Equal(RedisStartupProblem.EvictionPolicy, Evaluate("maxmemory_policy:allkeys-lru", "").Refusal?.Problem);
        Assert.Contains(Evaluate("maxmemory_policy:volatile-ttl", "", Defaults with { AllowEvictingPolicy = true }).Warnings, w => w.Contains("maxmemory-policy volatile-ttl"));
        Assert.Equal(RedisStartupProblem.Persistence, Evaluate("aof_enabled:0", "", Defaults with { RequireDurability = true }).Refusal?.Problem);
        Assert.Contains(Evaluate("aof_enabled:0", "").Notes, n => n.Contains("without an append-only file"));
        Assert.Contains(Evaluate("aof_enabled:1", "appendfsync=no").Warnings, w => w.Contains("appendfsync no"));
        Assert.Empty(Evaluate("aof_enabled:1", "appendfsync=everysec").Warnings);
        Assert.Contains(Evaluate("", "protected-mode=no;requirepass=").Warnings, w => w.Contains("protected-mode off"));
        Assert.Empty(Evaluate("", "protected-mode=no;requirepass=secret").Warnings);
        Assert.Empty(Evaluate("", "protected-mode=yes;requirepass=").Warnings);

        var wait = Defaults.WithReplicaAcks(1, TimeSpan.FromMilliseconds(500));
        Assert.Contains(Evaluate("connected_slaves:1", "min-replicas-to-write=0", wait).Warnings, w => w.Contains("min-replicas-to-write 0"));
        Assert.Contains(Evaluate("connected_slaves:0", "min-replicas-to-write=1", wait).Warnings, w => w.Contains("0 are attached"));
        Assert.Empty(Evaluate("connected_slaves:1", "min-replicas-to-write=1", wait).Warnings);
        Assert.Empty(Evaluate("connected_slaves:0", "min-replicas-to-write=0").Warnings);
        Assert.Null(Evaluate("", "").Refusal);
    }

    [Fact]
    public async Task A_real_server_with_appendfsync_no_or_open_to_anyone_is_warned_about()
    {
        await using var lazy = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "no");
        var log = new ListLogger();
        await using (await RedisExecutor.ConnectAsync(TestOptions.For(lazy).WithLogger(log)))
        {
            Assert.Contains(log.Warnings, w => w.Contains("appendfsync no"));
            Assert.DoesNotContain(log.Warnings, w => w.Contains("protected-mode"));
        }

        await using var open = await RedisServer.StartAsync("--protected-mode", "no");
        log = new ListLogger();
        await using (await RedisWorker.StartAsync(TestOptions.For(open).WithLogger(log), new RedisWorkerOptions { Registry = TestOptions.Registry() }))
        {
            Assert.Contains(log.Warnings, w => w.Contains("protected-mode off and no password"));
        }
    }

    [Fact]
    public async Task In_wait_mode_an_enqueue_returns_once_a_replica_has_the_job_and_is_indeterminate_without_one()
    {
        await using var primary = await RedisServer.StartAsync();
        var options = TestOptions.For(primary).WithReplicaAcks(1, TimeSpan.FromMilliseconds(300));
        var log = new ListLogger();
        await using var client = await RedisExecutor.ConnectAsync(options.WithLogger(log));
        Assert.Contains(log.Warnings, w => w.Contains("min-replicas-to-write 0"));
        Assert.Contains(log.Warnings, w => w.Contains("0 are attached"));
        var square = JobRef.To<SquareJob, int, int>();

        // No replica: the job is on the primary only, so the enqueue is indeterminate.
        var id = JobIds.New();
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => client.EnqueueAsync(square, 3, new JobOptions { Id = id }));
        Assert.Contains("0 acknowledged", error.Message);
        Assert.Equal(id, error.Job?.Id);

        // With a replica attached, the same enqueue retried (same id) is confirmed, and still one job.
        await using var replica = await RedisServer.StartAsync("--replicaof", "127.0.0.1", primary.Port.ToString());
        await Wait.UntilAsync(async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up"), "the replica is in sync");
        await client.EnqueueAsync(square, 3, new JobOptions { Id = id });
        Assert.Equal("1", await replica.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:stats", "enqueued"));

        // min-replicas-to-write 1 and the replica gone: the primary refuses writes outright, and no job is made.
        Assert.Equal("OK", await primary.CliAsync("CONFIG", "SET", "min-replicas-to-write", "1"));
        Assert.Equal("OK", await primary.CliAsync("CONFIG", "SET", "min-replicas-max-lag", "1"));
        replica.Kill();
        var refusedId = JobIds.New();
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await client.EnqueueAsync(square, 4, new JobOptions { Id = JobIds.New() });
                return false;
            }
            catch (RedisUnavailableException e) when (e.Message.Contains("min-replicas-to-write"))
            {
                return true;
            }
            catch (RedisUnavailableException)
            {
                return false;
            }
        }, "the primary refuses writes without its replica");
        var refused = await Assert.ThrowsAsync<RedisUnavailableException>(() => client.EnqueueAsync(square, 4, new JobOptions { Id = refusedId }));
        Assert.Contains("min-replicas-to-write", refused.Message);
        Assert.Equal("0", await primary.CliAsync("EXISTS", $"{options.KeyPrefix}:{{default}}:job:{refusedId}"));
    }
}
