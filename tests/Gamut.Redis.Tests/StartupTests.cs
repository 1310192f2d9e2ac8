using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;

namespace Gamut.Redis.Tests;

/// <summary>RELIABILITY.md §5.4 and §5.5: URLs, credentials, TLS and server configuration, checked at start-up; fail closed.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("", "empty")]
    [InlineData("redis://", "no host")]
    [InlineData("redis://:@", "password")]
    [InlineData("redis://host:0", "port '0'")]
    [InlineData("redis://host:70000", "port '70000'")]
    [InlineData("redis://host:abc", "port 'abc'")]
    [InlineData("redis://::1:6379", "IPv6")]
    [InlineData("http://host", "unknown scheme 'http'")]
    [InlineData("localhost:6379", "no scheme")]
    [InlineData("redis://host/x", "database")]
    [InlineData("redis://host?frobnicate=1", "unknown option 'frobnicate'")]
    [InlineData("rediss://host?ca=/no/such/ca.pem", "does not exist")]
    public void A_malformed_redis_url_is_a_typed_error_naming_the_problem(string url, string problem)
    {
        var error = Assert.Throws<RedisUrlException>(() => RedisUrl.Parse(url));
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_redis_url_carries_user_password_tls_port_and_database_and_its_password_is_never_shown()
    {
        var options = RedisUrl.Parse("rediss://app:s%40cret@[::1]:6390/2?timeout=1500");
        Assert.Equal("app", options.User);
        Assert.Equal("s@cret", options.Password);
        Assert.True(options.Ssl);
        Assert.Equal(2, options.DefaultDatabase);
        Assert.Equal(1500, options.ConnectTimeout);
        Assert.Contains("6390", options.EndPoints[0].ToString());
        var error = Assert.Throws<RedisUrlException>(() => RedisUrl.Parse("redis://app:topsecret@host:99999"));
        Assert.DoesNotContain("topsecret", error.Message);
    }

    [Fact]
    public async Task An_evicting_memory_policy_is_refused_at_startup_unless_allowed()
    {
        await using var server = await RedisServer.StartAsync("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru");
        var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisWorker.StartAsync(TestOptions.For(server), new RedisWorkerOptions()));
        Assert.Equal(RedisStartupProblem.EvictionPolicy, error.Problem);
        Assert.Contains("allkeys-lru", error.Message);
        await using var client = await RedisExecutor.ConnectAsync(TestOptions.For(server) with { AllowEvictingPolicy = true });
    }

    [Fact]
    public async Task Durability_asked_for_without_an_aof_is_refused()
    {
        await using var server = await RedisServer.StartAsync();
        var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(TestOptions.For(server) with { RequireDurability = true }));
        Assert.Equal(RedisStartupProblem.Persistence, error.Problem);
    }

    [Fact]
    public async Task A_wrong_password_fails_at_once_with_a_typed_error_and_the_right_one_works()
    {
        await using var server = await RedisServer.StartAsync("--requirepass", "right-pw");
        var wrong = TestOptions.For(server) with { Configuration = RedisUrl.Parse($"redis://:wrong-pw@127.0.0.1:{server.Port}") };
        var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(wrong));
        Assert.Equal(RedisStartupProblem.Authentication, error.Problem);
        Assert.DoesNotContain("wrong-pw", error.Message);
        var right = TestOptions.For(server) with { Configuration = RedisUrl.Parse($"redis://:right-pw@127.0.0.1:{server.Port}") };
        await using var worker = await RedisWorker.StartAsync(right, new RedisWorkerOptions { Registry = TestOptions.Registry() });
        await using var client = await RedisExecutor.ConnectAsync(right);
        Assert.Equal(16, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 4).WaitAsync(TestOptions.Guard));
    }

    [Fact]
    public async Task An_acl_user_works_within_its_key_prefix_and_a_user_without_permissions_is_refused_naming_them()
    {
        await using var server = await RedisServer.StartAsync();
        Assert.Equal("OK", await server.CliAsync("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*", "&app:*", "+@all", "-@dangerous", "+info"));
        Assert.Equal("OK", await server.CliAsync("ACL", "SETUSER", "noscripts", "on", ">pw", "~app:*", "&app:*", "+@all", "-@scripting"));
        Assert.Equal("OK", await server.CliAsync("ACL", "SETUSER", "otherkeys", "on", ">pw", "~other:*", "&app:*", "+@all"));
        var app = TestOptions.For(server, "app") with { Configuration = RedisUrl.Parse($"redis://app:app-pw@127.0.0.1:{server.Port}") };
        await using (var worker = await RedisWorker.StartAsync(app, new RedisWorkerOptions { Registry = TestOptions.Registry() }))
        await using (var client = await RedisExecutor.ConnectAsync(app))
        {
            Assert.Equal(25, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 5).WaitAsync(TestOptions.Guard));
        }

        foreach (var user in new[] { "noscripts", "otherkeys" })
        {
            var weak = TestOptions.For(server, "app") with { Configuration = RedisUrl.Parse($"redis://{user}:pw@127.0.0.1:{server.Port}") };
            var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(weak));
            Assert.Equal(RedisStartupProblem.Permission, error.Problem);
            Assert.Contains("+@scripting", error.Message);
            Assert.Contains("~app:*", error.Message);
        }
    }

    [Fact]
    public async Task Tls_works_with_the_right_ca_and_fails_closed_with_a_wrong_ca_or_on_a_plaintext_port()
    {
        var certs = Wait.TempDir("tls");
        try
        {
            MakeCertificates(certs);
            var tlsPort = RedisServer.FreePort();
            await using var server = await RedisServer.StartAsync(
                "--tls-port", tlsPort.ToString(), "--tls-cert-file", Path.Combine(certs, "server.crt"), "--tls-key-file", Path.Combine(certs, "server.key"),
                "--tls-ca-cert-file", Path.Combine(certs, "ca.crt"), "--tls-auth-clients", "no");
            var secure = TestOptions.For(server) with { Configuration = RedisUrl.Parse($"rediss://127.0.0.1:{tlsPort}?ca={Path.Combine(certs, "ca.crt")}&sni=localhost&timeout=3000") };
            await using (var worker = await RedisWorker.StartAsync(secure, new RedisWorkerOptions { Registry = TestOptions.Registry() }))
            await using (var client = await RedisExecutor.ConnectAsync(secure))
            {
                Assert.Equal(36, await client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 6).WaitAsync(TestOptions.Guard));
            }

            var wrongCa = TestOptions.For(server) with { Configuration = RedisUrl.Parse($"rediss://127.0.0.1:{tlsPort}?ca={Path.Combine(certs, "other-ca.crt")}&sni=localhost&timeout=1000") };
            var refused = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(wrongCa));
            Assert.Equal(RedisStartupProblem.Tls, refused.Problem);

            var plaintextPort = TestOptions.For(server) with { Configuration = RedisUrl.Parse($"rediss://127.0.0.1:{server.Port}?ca={Path.Combine(certs, "ca.crt")}&sni=localhost&timeout=1000") };
            var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(plaintextPort));
            Assert.Equal(RedisStartupProblem.Tls, error.Problem);
        }
        finally
        {
            Directory.Delete(certs, recursive: true);
        }
    }

    [Fact]
    public async Task Nothing_answering_is_a_typed_unreachable_error_not_a_hang()
    {
        var options = RedisOptions.FromUrl($"redis://127.0.0.1:{RedisServer.FreePort()}?timeout=500");
        var error = await Assert.ThrowsAsync<RedisStartupException>(() => RedisExecutor.ConnectAsync(options)).WaitAsync(TestOptions.Guard);
        Assert.Equal(RedisStartupProblem.Unreachable, error.Problem);
    }

    [Fact]
    public async Task A_waiting_client_gets_a_typed_error_when_redis_loses_the_job_record()
    {
        await using var server = await RedisServer.StartAsync();
        var options = TestOptions.For(server);
        await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { WaitCheckInterval = TimeSpan.FromMilliseconds(200) });
        var waiting = client.SubmitAsync(JobRef.To<SquareJob, int, int>(), 3);
        await Wait.UntilAsync(async () => await server.CliAsync("LLEN", $"{options.KeyPrefix}:{{default}}:queue") == "1", "the job is queued");
        await server.CliAsync("FLUSHALL");
        var error = await Assert.ThrowsAsync<JobLostException>(() => waiting.WaitAsync(TestOptions.Guard));
        Assert.Contains("no record", error.Message);
    }

    private static void MakeCertificates(string dir)
    {
        void Run(params string[] args)
        {
            var psi = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"openssl {string.Join(' ', args)}: {err}");
        }

        Run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=gamut-test-ca");
        Run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        File.WriteAllText(Path.Combine(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        Run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=not-the-ca");
        Run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
    }
}
