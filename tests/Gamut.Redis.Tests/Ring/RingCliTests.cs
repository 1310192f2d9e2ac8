using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests.Ring;

/// <summary><c>gamut ring</c>, and <c>gamut status</c> over a ring, as real processes.</summary>
public sealed class RingCliTests
{
    private static readonly string Gamut = Tools.GamutCli;

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => Tools.GamutAsync(args);

    [Fact]
    public async Task Ring_add_makes_one_instance_a_ring_and_remove_drains_a_member_until_it_leaves()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        string M(RedisServer s) => $"127.0.0.1:{s.Port}";

        var show = await RunAsync("ring", "show", "--redis", a.Url, "--prefix", "cli");
        Assert.Equal(0, show.Code);
        Assert.Contains("not a ring", show.Out);

        var add = await RunAsync("ring", "add", M(b), "--redis", a.Url, "--prefix", "cli");
        Assert.True(add.Code == 0, add.Err);
        Assert.Contains("ring version 2: 2 members", add.Out);
        add = await RunAsync("ring", "add", c.Url, "--redis", b.Url, "--prefix", "cli");
        Assert.True(add.Code == 0, add.Err);
        Assert.Contains("ring version 3: 3 members", add.Out);
        foreach (var s in new[] { a, b, c })
        {
            Assert.Matches($@"{M(s)}\s+member\s+yes\s+3\s", add.Out);
        }

        // Adding a member twice is refused, with the reason.
        var twice = await RunAsync("ring", "add", M(c), "--redis", a.Url, "--prefix", "cli");
        Assert.Equal(255, twice.Code);
        Assert.Contains("already a member", twice.Err);

        // Draining: c takes no new job at once, and keeps the ones it has until workers ran them.
        var options = RingExecutorTests.Options("cli", a);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var first = await client.EnqueueManyAsync(JobRef.To<SquareJob, int, int>(), Enumerable.Range(0, 150));
        var onC = await RingExecutorTests.EnqueuedAsync(c, "cli");
        Assert.True(onC > 0);
        var remove = await RunAsync("ring", "remove", M(c), "--redis", a.Url, "--prefix", "cli");
        Assert.True(remove.Code == 0, remove.Err);
        Assert.Contains($"{M(c)} is draining", remove.Out);
        Assert.Matches($@"{M(c)}\s+draining\s+yes\s+4\s+-\s+{onC}\s+0\s+0\s+{onC}\s", remove.Out);
        Assert.Equal("draining", await c.CliAsync("HGET", "cli:ring", "state"));

        await Wait.UntilAsync(() => Task.FromResult(client.Deployment.Ring!.Topology.Version == 4), "the client heard of version 4", TestOptions.Guard);
        var second = await client.EnqueueManyAsync(JobRef.To<SquareJob, int, int>(), Enumerable.Range(150, 150));
        Assert.Equal(onC, await RingExecutorTests.EnqueuedAsync(c, "cli"));

        // A worker drains c; then c leaves the ring, and holds no job.
        await using (var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 8 }))
        {
            var values = await Task.WhenAll(first.Concat(second).Select(h => client.WaitAsync<int>(h))).WaitAsync(TestOptions.Guard);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => i * i), values);
            await Wait.UntilAsync(async () => await c.CliAsync("HGET", "cli:ring", "state") == "gone", "c left the ring once drained", TestOptions.Guard);
        }

        show = await RunAsync("ring", "show", "--redis", b.Url, "--prefix", "cli");
        Assert.Contains("ring version 5: 2 members", show.Out);
        Assert.DoesNotContain(M(c), show.Out);
        Assert.Equal("0", await c.CliAsync("LLEN", "cli:{default}:queue"));
    }

    [Fact]
    public async Task Status_over_a_ring_shows_each_instance_and_the_jobs_of_one_that_does_not_answer_as_pending()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var c = await RedisServer.StartAsync();
        var options = RingExecutorTests.Options("st", a, b, c);
        await using (var client = await RedisExecutor.ConnectAsync(options))
        {
            await client.EnqueueManyAsync(JobRef.To<SquareJob, int, int>(), Enumerable.Range(0, 200));
        }

        var onB = await RingExecutorTests.EnqueuedAsync(b, "st");
        Assert.True(onB > 0);
        b.Kill();

        // A list with a malformed entry and a dead one still starts from the instance that answers.
        var status = await RunAsync("status", "--redis", $"{a.Url},bad:x:1,127.0.0.1:{b.Port}", "--prefix", "st");
        Assert.True(status.Code == 0, status.Err);
        Assert.Contains("bad:x:1", status.Err);
        // Pending counts every job not finished, those of the instance that does not answer included; ready only those that do.
        Assert.Matches(@"default\s+200\s+" + (200 - onB) + @"\s", status.Out);
        Assert.Matches($@"127\.0\.0\.1:{b.Port}\s+member\s+NO\s+-\s+\S+\s+-\s+-\s+-\s+{onB}\s", status.Out);
        Assert.Contains($"127.0.0.1:{b.Port} does not answer: {onB} of its jobs are pending", status.Out);
    }
}
