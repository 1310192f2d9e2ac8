using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>
/// Issue 12: the errors a person reads from the Redis commands — one line in Gamut's words, and one exit status per
/// kind of failure, the same in <c>run</c>, <c>worker</c>, <c>status</c> and <c>ring</c> (docs/redis.md, "Exit status").
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class CliErrorTests(SharedRedis redis)
{
    private const int WrongType = 252, Startup = 254, Usage = 255;

    private static string[] Commands(string url) =>
    [
        $"run --redis {url} echo ::: 1",
        $"worker --redis {url}",
        $"status --redis {url}",
        $"ring show --redis {url}",
    ];

    private static void AssertOneLine(string err, string command)
    {
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        // Warnings may come before it (e.g. no append-only file); the error is the last line.
        Assert.StartsWith($"gamut {command.Split(' ')[0]}: ", err.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_is_said_in_gamuts_words_with_the_same_exit_status_in_every_command()
    {
        var url = $"redis://127.0.0.1:{RedisServer.FreePort()}?timeout=500";
        var results = await Task.WhenAll(Commands(url).Select(async c => (Command: c, Result: await Tools.GamutAsync(c.Split(' ')))));
        foreach (var (command, (code, _, err)) in results)
        {
            Assert.True(code == Startup, $"{command}: exit {code}: {err}");
            Assert.Contains("No Redis answered at 127.0.0.1:", err, StringComparison.Ordinal);
            Assert.Contains("gave up after", err, StringComparison.Ordinal);
            Assert.DoesNotContain("abortConnect", err, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("attempts of", err, StringComparison.Ordinal);
            AssertOneLine(err, command);
        }
    }

    [Fact]
    public async Task No_password_and_a_wrong_password_are_told_apart()
    {
        await using var server = await RedisServer.StartAsync("--requirepass", "sekret");
        var none = await Tools.GamutAsync("status", "--redis", server.Url);
        Assert.Equal(Startup, none.Code);
        Assert.Contains("requires a password (NOAUTH) and none was given", none.Err, StringComparison.Ordinal);
        var wrong = await Tools.GamutAsync("worker", "--redis", $"redis://:nope@127.0.0.1:{server.Port}");
        Assert.Equal(Startup, wrong.Code);
        Assert.Contains("refused the password (WRONGPASS)", wrong.Err, StringComparison.Ordinal);
        var right = await Tools.GamutAsync("status", "--redis", $"redis://:sekret@127.0.0.1:{server.Port}");
        Assert.True(right.Code == 0, right.Err);
    }

    [Fact]
    public async Task A_bad_queue_name_is_refused_in_gamuts_words()
    {
        var (code, _, err) = await Tools.GamutAsync("run", "--redis", redis.Server.Url, "--queue", "bad queue!", "echo", ":::", "1");
        Assert.Equal(Usage, code);
        Assert.Contains("--queue 'bad queue!' is not a queue name", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Arg_ParamName", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_reports_keys_of_the_wrong_type_and_shows_the_rest()
    {
        var server = redis.Server;
        var p = "t" + Guid.NewGuid().ToString("N")[..10];
        await server.CliAsync("SADD", $"{p}:queues", "good", "q1", "q2", "q3", "q4");
        await server.CliAsync("LPUSH", $"{p}:{{good}}:queue", "a", "b");
        await server.CliAsync("SET", $"{p}:{{q1}}:queue", "x");
        await server.CliAsync("SET", $"{p}:{{q2}}:delayed", "x");
        await server.CliAsync("SET", $"{p}:{{q3}}:dead", "x");
        await server.CliAsync("SET", $"{p}:{{q4}}:stats", "x");
        await server.CliAsync("SET", $"{p}:workers", "x");
        var (code, output, err) = await Tools.GamutAsync("status", "--redis", server.Url, "--prefix", p, "--dead", "5");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("broken keys: 5", output, StringComparison.Ordinal);
        Assert.Contains($"{p}:{{q1}}:queue  holds a string, expected a list", output, StringComparison.Ordinal);
        Assert.Contains($"{p}:{{q2}}:delayed  holds a string, expected a zset", output, StringComparison.Ordinal);
        Assert.Contains($"{p}:{{q3}}:dead  holds a string, expected a list", output, StringComparison.Ordinal);
        Assert.Contains($"{p}:{{q4}}:stats  holds a string, expected a hash", output, StringComparison.Ordinal);
        Assert.Contains($"{p}:workers  holds a string, expected a zset", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^good\s+2\s+2\s", output);

        // The set of queues itself broken: reported, and the command still succeeds.
        var q = "t" + Guid.NewGuid().ToString("N")[..10];
        await server.CliAsync("SET", $"{q}:queues", "x");
        var second = await Tools.GamutAsync("status", "--redis", server.Url, "--prefix", q);
        Assert.True(second.Code == 0, $"exit {second.Code}: {second.Err}");
        Assert.Contains($"{q}:queues  holds a string, expected a set", second.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("workers", "zset")]
    [InlineData("queues", "set")]
    public async Task A_worker_on_a_global_key_of_the_wrong_type_exits_with_one_line_naming_it(string name, string expected)
    {
        var server = redis.Server;
        var p = "t" + Guid.NewGuid().ToString("N")[..10];
        await server.CliAsync("SET", $"{p}:{name}", "x");
        var (code, _, err) = await Tools.GamutAsync("worker", "--redis", server.Url, "--prefix", p);
        Assert.Equal(WrongType, code);
        Assert.Contains($"The Redis key {p}:{name} holds a string, but Gamut keeps a {expected} there", err, StringComparison.Ordinal);
        AssertOneLine(err, "worker");
    }
}
