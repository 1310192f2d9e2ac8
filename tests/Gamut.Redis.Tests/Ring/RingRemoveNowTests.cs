using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests.Ring;

/// <summary>
/// Issue 12: <c>gamut ring remove X --now</c> of an instance that is dead for good. Before, clients waiting for its
/// jobs waited forever and <c>gamut status</c> stopped counting them. Now the jobs it held unfinished (its pending
/// index, kept by another member) are settled: their waiters get <see cref="JobLostException"/> naming the instance,
/// and status shows them as lost.
/// </summary>
public sealed class RingRemoveNowTests
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    [Fact]
    public async Task Removing_a_dead_member_at_once_settles_its_unfinished_jobs_as_lost_naming_it()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        const string prefix = "rmnow";
        var options = RingExecutorTests.Options(prefix, a, b);
        var memberA = $"127.0.0.1:{a.Port}";
        await using var admin = await RedisAdmin.ConnectAsync(options);
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { WaitCheckInterval = TimeSpan.FromMilliseconds(200) });

        // No worker yet: every job stays queued on the instance that took it.
        const int n = 40;
        var submits = Enumerable.Range(0, n).Select(i => client.SubmitAsync(Square, i)).ToList();
        await Wait.UntilAsync(async () => await RingExecutorTests.EnqueuedAsync(a, prefix) + await RingExecutorTests.EnqueuedAsync(b, prefix) == n, "every job was enqueued");
        var onA = await RingExecutorTests.EnqueuedAsync(a, prefix);
        Assert.InRange(onA, 1, n - 1);
        await Wait.UntilAsync(async () => await b.CliAsync("SCARD", $"{prefix}:ring:pending:{memberA}") == onA.ToString(System.Globalization.CultureInfo.InvariantCulture), "b witnesses a's pending jobs");

        a.Kill();
        await admin.RemoveInstanceAsync(memberA, drain: false);
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = 4 });
        var outcomes = await Task.WhenAll(submits.Select(async t =>
        {
            try
            {
                await t;
                return "ran";
            }
            catch (JobLostException e)
            {
                Assert.Contains(memberA, e.Message, StringComparison.Ordinal);
                return e.Instance ?? "lost without an instance";
            }
        })).WaitAsync(TestOptions.Guard);
        Assert.Equal(onA, outcomes.Count(o => o == memberA));
        Assert.Equal(n - onA, outcomes.Count(o => o == "ran"));
        Assert.Equal((int)onA, client.LostWithRemovedInstances[memberA]);

        var status = await admin.GetStatusAsync();
        Assert.Equal(onA, Assert.Single(status.Queues, q => q.Name == "default").Lost);
        var cli = await Tools.GamutAsync("status", "--redis", $"redis://127.0.0.1:{b.Port}", "--prefix", prefix);
        Assert.True(cli.Code == 0, cli.Err);
        Assert.Contains($"lost: {onA} jobs had not ended on ring instances removed at once", cli.Out, StringComparison.Ordinal);
    }
}
