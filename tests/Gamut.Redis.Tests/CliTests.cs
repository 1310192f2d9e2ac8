using System.Diagnostics;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary><c>gamut worker</c>, <c>gamut status</c> and <c>gamut run --redis</c>, as real processes.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class CliTests(SharedRedis redis)
{
    private static readonly string Gamut = Path.Combine(AppContext.BaseDirectory, "Gamut.Cli");

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Gamut) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        return (p.ExitCode, await output, await error);
    }

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
            Assert.Matches(@"default\s+0\s+0\s+0\s+0\s+6\s+0\s+0\s+0", status.Out);
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
}
