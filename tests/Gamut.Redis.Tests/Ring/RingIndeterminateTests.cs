using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Chaos;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests.Ring;

/// <summary>
/// Issue 12: an enqueue in flight to a ring instance when it stopped answering is indeterminate (the instance may
/// hold the job). With <see cref="RingOptions.IndeterminateWait"/> infinite, as <c>gamut run</c> sets it, it is
/// retried with the same id on the same instance until that instance answers — one job, never two — or is removed
/// from the ring, which ends it with a <see cref="RedisUnavailableException"/> that says so.
/// </summary>
public sealed class RingIndeterminateTests
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    private static Toxics CutAfter(string jobId) => new() { LimitReplyBytes = 0, LimitAfterRequest = jobId, Role = ConnectionRole.Interactive };

    [Fact]
    public async Task An_unconfirmed_enqueue_is_retried_on_its_instance_until_it_answers_or_leaves_the_ring()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        await using var proxy = FaultProxy.Start(a.Port);
        var member = $"127.0.0.1:{proxy.Port}";
        var options = RedisOptions.FromUrl($"{proxy.Url}?timeout=1500,127.0.0.1:{b.Port}").WithKeyPrefix("endless")
            .WithHeartbeat(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(1000))
            .WithRing(RingExecutorTests.Options("endless", a, b).Ring with { IndeterminateWait = Timeout.InfiniteTimeSpan });
        await using var admin = await RedisAdmin.ConnectAsync(options);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var ring = admin.Ring!;
        string OwnedByProxy() => Enumerable.Range(0, 1000).Select(_ => JobIds.New()).First(id => ring.Ring.Owner(id) == member);

        await client.EnqueueAsync(Square, 1, new JobOptions { Id = OwnedByProxy() });    // its script is loaded there

        // Every reply from a is cut on the connection that sent the job (from the request that carries its id on):
        // the enqueue runs there, and the client never hears of it. Only there: a reply cut on another call first (a
        // health ping's, on a loaded machine) would close the connection before the enqueue was written, and the job,
        // certainly not sent, would rightly go to b.
        var id = OwnedByProxy();
        proxy.Set(CutAfter(id));
        var enqueue = client.EnqueueAsync(Square, 7, new JobOptions { Id = id });
        await Wait.UntilAsync(() => Task.FromResult(proxy.Cuts >= 3), "the enqueue was sent three times");
        Assert.False(enqueue.IsCompleted, "the unconfirmed enqueue ended while its instance was in the ring");

        proxy.Clear();
        var handle = await enqueue.WaitAsync(TestOptions.Guard);
        Assert.Equal(id, handle.Id);
        Assert.Equal("queued", await a.CliAsync("HGET", $"endless:{{default}}:job:{id}", "s"));
        Assert.Equal(2, await RingExecutorTests.EnqueuedAsync(a, "endless"));    // one job for all the attempts
        Assert.Equal(0, await RingExecutorTests.EnqueuedAsync(b, "endless"));

        // Cut again, and the instance is removed for good while the enqueue is unconfirmed: it ends, saying so.
        // The lost replies above marked a suspect: until the client sees it answer again, a new job rightly goes to b.
        await Wait.UntilAsync(() => Task.FromResult(client.Deployment.Instances.Single(i => i.Member == member).IsLive), "the client saw a answer again", TestOptions.Guard);
        var cuts = proxy.Cuts;
        var secondId = OwnedByProxy();
        proxy.Set(CutAfter(secondId));
        var second = client.EnqueueAsync(Square, 8, new JobOptions { Id = secondId });
        await Wait.UntilAsync(() => Task.FromResult(proxy.Cuts >= cuts + 2), "the second enqueue was sent again");
        await admin.RemoveInstanceAsync(member, drain: false);
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => second).WaitAsync(TestOptions.Guard);
        Assert.Contains("removed from the ring", error.Message, StringComparison.Ordinal);
    }
}
