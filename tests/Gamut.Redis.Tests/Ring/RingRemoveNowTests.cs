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

    [Fact]
    public async Task Gamut_run_finishes_with_the_jobs_of_a_member_removed_at_once_failed_and_says_how_many()
    {
        await using var a = await RedisServer.StartAsync();
        await using var b = await RedisServer.StartAsync();
        const string prefix = "runlost";
        var options = RingExecutorTests.Options(prefix, a, b);
        var memberA = $"127.0.0.1:{a.Port}";
        var url = $"redis://127.0.0.1:{a.Port},127.0.0.1:{b.Port}";
        await using var admin = await RedisAdmin.ConnectAsync(options);
        var joblog = Path.Combine(Path.GetTempPath(), $"gamut-runlost-{Guid.NewGuid():N}.log");

        // No worker yet, and -j as large as the input: every job is enqueued and waits where it went.
        const int n = 20;
        var run = Tools.GamutAsync(["run", "--redis", url, "--prefix", prefix, "-j", $"{n}", "--joblog", joblog, "echo", "{}", ":::", .. Enumerable.Range(1, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        await Wait.UntilAsync(async () => await RingExecutorTests.EnqueuedAsync(a, prefix) + await RingExecutorTests.EnqueuedAsync(b, prefix) == n, "every job was enqueued");
        var onA = await RingExecutorTests.EnqueuedAsync(a, prefix);
        Assert.InRange(onA, 1, n - 1);
        await Wait.UntilAsync(async () => await b.CliAsync("SCARD", $"{prefix}:ring:pending:{memberA}") == onA.ToString(System.Globalization.CultureInfo.InvariantCulture), "b witnesses a's pending jobs");

        a.Kill();
        await admin.RemoveInstanceAsync(memberA, drain: false);
        var psi = new System.Diagnostics.ProcessStartInfo(Tools.GamutCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "worker", "--redis", $"redis://127.0.0.1:{b.Port}", "--prefix", prefix, "-j", "4" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var worker = System.Diagnostics.Process.Start(psi)!;
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            var (code, output, err) = await run.WaitAsync(TestOptions.Guard);

            // As for failed jobs: the exit status counts them, the joblog has a row for each, and one line says why.
            Assert.True(code == onA, $"exit {code}, {onA} jobs on the removed instance: {err}");
            Assert.Contains($"gamut run: {onA} job{(onA == 1 ? " was" : "s were")} lost: ring instance {memberA} was removed", err, StringComparison.Ordinal);
            Assert.Equal(n - onA, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            var rows = File.ReadAllLines(joblog).Skip(1).Select(l => l.Split('\t')).ToList();
            Assert.Equal(n, rows.Count);
            Assert.Equal(onA, rows.Count(r => r[6] != "0"));
        }
        finally
        {
            using var term = System.Diagnostics.Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            File.Delete(joblog);
        }
    }
}
