using System.Diagnostics;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary><c>gamut worker</c>, <c>gamut status</c> and <c>gamut run --redis</c>, as real processes.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class CliTests(SharedRedis redis)
{
    private static readonly string Gamut = Tools.GamutCli;

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => Tools.GamutAsync(args);

    private static Process StartWorker(params string[] args)
    {
        var psi = new ProcessStartInfo(Gamut) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("worker");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [Fact]
    public async Task Gamut_run_with_redis_prints_what_a_local_run_prints_and_status_shows_the_counts()
    {
        var prefix = "cli" + Guid.NewGuid().ToString("N")[..6];
        using var worker = StartWorker("--redis", redis.Server.Url, "--prefix", prefix, "-j", "4");
        try
        {
            string[] run = ["-k", "--tag", "echo out-{}; test {} -ne 3 && test {} -ne 6", ":::", "1", "2", "3", "4", "5", "6"];
            var local = await RunAsync(["run", .. run]);
            var remote = await RunAsync(["run", "--redis", redis.Server.Url, "--prefix", prefix, .. run]);
            Assert.Equal(local.Out, remote.Out);
            Assert.Equal(local.Code, remote.Code);
            Assert.Equal(2, remote.Code);
            Assert.Contains("out-5", remote.Out);

            var status = await RunAsync("status", "--redis", redis.Server.Url, "--prefix", prefix);
            Assert.Equal(0, status.Code);
            Assert.Contains("default", status.Out);
            Assert.Matches(@"default\s+0\s+0\s+0\s+0\s+0\s+0\s+6\s+0\s+0\s+0", status.Out);
            Assert.Contains("workers: 1 alive", status.Out);
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", worker.Id.ToString()]);
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        }

        Assert.Equal(0, worker.ExitCode);
    }

    [Fact]
    public async Task Gamut_worker_runs_dotnet_jobs_from_a_loaded_assembly_and_command_jobs_isolated_in_processes()
    {
        var prefix = "load" + Guid.NewGuid().ToString("N")[..6];
        var assembly = typeof(CliTests).Assembly.Location;
        using var worker = StartWorker("--redis", redis.Server.Url, "--prefix", prefix, "-j", "2", "--isolate", "processes", "--load", assembly);
        try
        {
            var options = RedisOptions.FromUrl(redis.Server.Url).WithKeyPrefix(prefix);
            await using var client = await RedisExecutor.ConnectAsync(options);
            Assert.Equal(144, await client.SubmitAsync(global::Gamut.Jobs.JobRef.Named<int, int>("test.square"), 12).WaitAsync(TestOptions.Guard));
            var remote = await RunAsync("run", "--redis", redis.Server.Url, "--prefix", prefix, "-k", "echo", "pid-check", ":::", "x");
            Assert.Equal(0, remote.Code);
            Assert.Equal("pid-check x\n", remote.Out);
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", worker.Id.ToString()]);
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        }

        Assert.Equal(0, worker.ExitCode);
    }

    [Theory]
    [InlineData("-j", "0", "not a positive whole number")]
    [InlineData("-j", "abc", "not a positive whole number")]
    [InlineData("-j", "100%", "not a positive whole number")]
    [InlineData("--queues", "a,,b", "is not a queue name")]
    [InlineData("--queues", "", "is not a queue name")]
    [InlineData("--load", "/no/such.dll", "no such file")]
    [InlineData("--load", "/etc/hostname", "not a .NET assembly")]
    [InlineData("--isolate", "vm", "use processes")]
    [InlineData("--redis", "redis://host:70000", "port '70000'")]
    [InlineData("--redis", "http://host", "unknown scheme")]
    public async Task A_bad_worker_command_line_is_refused_with_the_problem_named(string option, string value, string problem)
    {
        var args = option == "--redis" ? new[] { "worker", option, value } : new[] { "worker", "--redis", redis.Server.Url, option, value };
        var (code, _, err) = await RunAsync(args);
        Assert.Equal(255, code);
        Assert.Contains(problem, err);
    }

    [Fact]
    public async Task Status_without_redis_says_what_is_missing()
    {
        var (code, _, err) = await RunAsync("status");
        Assert.Equal(255, code);
        Assert.Contains("--redis URL is required", err);
    }

    [Fact]
    public async Task Status_reports_pending_stuck_and_duplicate_runs_as_the_ledger_counts_them()
    {
        var prefix = "st" + Guid.NewGuid().ToString("N")[..6];
        var options = TestOptions.For(redis.Server, prefix);
        var dir = Wait.TempDir("status");
        var ledger = new Ledger.ProducerLedger(dir);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var job = global::Gamut.Jobs.JobRef.To<Ledger.LedgerJob, int, int>();
        using var paused = WorkerProcess.Start(redis.Server, prefix, "default", 2, dir);
        var pausedId = await paused.Ready.WaitAsync(TestOptions.Guard);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await ledger.EnqueueAsync(client, job, 1500));
        }

        await Wait.UntilAsync(async () => await redis.Server.CliAsync("LLEN", $"{prefix}:{{default}}:active:{pausedId}") == "2", "both jobs taken");
        Assert.True(await ledger.EnqueueAsync(client, job, 10));

        // A worker frozen past its heartbeat, and nobody to reap it: its jobs are stuck, and shown so.
        paused.Signal("STOP");
        try
        {
            await Wait.UntilAsync(async () => await redis.Server.CliAsync("EXISTS", $"{prefix}:{{default}}:hb:{pausedId}") == "0", "the heartbeat lapsed");
            var stuck = await RunAsync("status", "--redis", redis.Server.Url, "--prefix", prefix);
            Assert.Matches(@"queue\s+pending\s+ready\s+delayed\s+running\s+stuck", stuck.Out);
            Assert.Matches(@"default\s+3\s+1\s+0\s+0\s+2\s", stuck.Out);

            // Another worker reaps and runs them; the frozen one resumes and its late outcomes are refused: 2 duplicates.
            using var other = WorkerProcess.Start(redis.Server, prefix, "default", 2, dir);
            await Wait.UntilAsync(async () => await redis.Server.CliAsync("HGET", $"{prefix}:{{default}}:stats", "succeeded") == "3", "every job succeeded");
            paused.Signal("CONT");
            await Wait.UntilAsync(async () => await redis.Server.CliAsync("HGET", $"{prefix}:{{default}}:stats", "duplicates") == "2", "the late outcomes were refused");
            var after = await RunAsync("status", "--redis", redis.Server.Url, "--prefix", prefix);
            Assert.Matches(@"default\s+0\s+0\s+0\s+0\s+0\s+0\s+3\s+0\s+0\s+2\s", after.Out);

            // The same bookkeeping as the ledger's: the duplicate runs logged outside Redis are the ones status shows.
            var tally = await Ledger.LedgerChecker.CheckAsync(options, "default", ledger);
            Assert.Equal(2, tally.Duplicates);
            Assert.Equal(tally.Duplicates, tally.ReportedDuplicates);
            Assert.Equal(0, tally.Stuck);
            Assert.Equal(0, tally.Lost);
        }
        finally
        {
            paused.Signal("CONT");
        }
    }
}
