using System.Diagnostics;
using System.Net;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary><c>gamut dashboard</c> as a real process: it serves the page and the live overview, stops on SIGTERM, and
/// refuses bad options in one line. (The page itself is tested in a real browser by Gamut.Dashboard.Tests.)</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class DashboardCliTests(SharedRedis redis)
{
    [Fact]
    public async Task Gamut_dashboard_serves_the_queues_of_its_prefix_and_stops_cleanly_on_SIGTERM()
    {
        var prefix = "dash" + Guid.NewGuid().ToString("N")[..6];
        await using (var client = await RedisExecutor.ConnectAsync(RedisOptions.FromUrl(redis.Server.Url).WithKeyPrefix(prefix)))
        {
            // No worker serves this prefix: the job stays queued, and the overview must show it.
            await client.EnqueueAsync(JobRef.Named<int, int>("test.square"), 3);
        }

        var port = RedisServer.FreePort();
        var psi = new ProcessStartInfo(Tools.GamutCli) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "dashboard", "--redis", redis.Server.Url, "--prefix", prefix, "--listen", $"127.0.0.1:{port}" })
        {
            psi.ArgumentList.Add(a);
        }

        using var dashboard = Process.Start(psi)!;
        var serving = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new System.Text.StringBuilder();
        dashboard.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                serving.TrySetException(new InvalidOperationException("gamut dashboard closed stderr before serving: " + stderr));
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            if (e.Data.Contains("serving ", StringComparison.Ordinal))
            {
                serving.TrySetResult(e.Data);
            }
        };
        dashboard.BeginErrorReadLine();
        dashboard.BeginOutputReadLine();
        try
        {
            var line = await serving.Task.WaitAsync(TestOptions.Guard);
            Assert.Contains($"http://127.0.0.1:{port}/", line);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TestOptions.Guard };
            using var page = await http.GetAsync("");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

            // The overview is filled by the server's poller: wait for the first snapshot that has the queue.
            string overview;
            using (var guard = new CancellationTokenSource(TestOptions.Guard))
            {
                while (true)
                {
                    overview = await http.GetStringAsync("api/overview", guard.Token);
                    if (overview.Contains("\"queues\"", StringComparison.Ordinal))
                    {
                        break;
                    }

                    await Task.Delay(50, guard.Token);
                }
            }

            Assert.Contains("\"name\":\"default\",\"paused\":false,\"queued\":1", overview);
            Assert.Contains($"\"deployment\":{{\"kind\":\"instance\",\"description\":\"Redis ", overview);
            Assert.Contains($" at 127.0.0.1:{redis.Server.Port}\"", overview);
        }
        finally
        {
            if (!dashboard.HasExited)
            {
                using var term = Process.Start("kill", ["-TERM", dashboard.Id.ToString()]);
                await dashboard.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            }
        }

        Assert.True(dashboard.ExitCode == 0, $"exit {dashboard.ExitCode}; stderr: {stderr}");
    }

    [Theory]
    [InlineData("--listen: 'nope' is not an address to listen on", "--listen", "nope")]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("--password-hash: not a dashboard password hash", "--password-hash", "x")]
    public async Task Gamut_dashboard_refuses_a_bad_option_in_one_line_with_exit_255(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await Tools.GamutAsync(["dashboard", "--redis", redis.Server.Url, .. args]);
        Assert.Equal(255, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("gamut dashboard: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Gamut_dashboard_on_a_port_in_use_says_so_and_exits_255()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, stderr) = await Tools.GamutAsync("dashboard", "--redis", redis.Server.Url, "--listen", $"127.0.0.1:{port}");
        Assert.Equal(255, code);
        Assert.Contains($"--listen 127.0.0.1:{port}", stderr);
        Assert.Contains("address already in use", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
