using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Limits;

/// <summary><c>gamut limit</c> as a person types it: what it stores is what the workers' take script reads.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class LimitCliTests(SharedRedis redis)
{
    [Fact]
    public async Task A_limit_set_with_the_cli_is_stored_shown_and_cleared_and_bad_input_is_refused_in_gamuts_words()
    {
        var prefix = "lc" + Guid.NewGuid().ToString("N")[..6];
        string[] at = ["--redis", redis.Server.Url, "--prefix", prefix];

        Assert.Equal((0, "no queue has a limit\n"), Short(await Tools.GamutAsync(["limit", "show", .. at])));
        Assert.Equal((0, "mail: rate limit 50/1s: at most 50 jobs start in any window of 1s\n"), Short(await Tools.GamutAsync(["limit", "set", "mail", "--rate", "50/s", .. at])));
        Assert.Equal((0, "mail\trate 50/1s\n"), Short(await Tools.GamutAsync(["limit", "show", .. at])));
        Assert.Equal((0, "mail: per-key limit 3: at most 3 jobs with the same concurrency key run at once\n"), Short(await Tools.GamutAsync(["limit", "set", "mail", "--per-key", "3", .. at])));
        Assert.Equal((0, "mail\trate 50/1s\nmail\tper-key 3\n"), Short(await Tools.GamutAsync(["limit", "show", .. at])));

        await using (var limits = await RedisQueueLimits.ConnectAsync(TestOptions.For(redis.Server, prefix)))
        {
            Assert.Equal(new RateLimit(50, TimeSpan.FromSeconds(1)), await limits.GetRateAsync("mail"));
            Assert.Equal(3, await limits.GetPerKeyAsync("mail"));
        }

        // Bad input: exit status 255, one line in Gamut's words, no stack trace, and the stored limit unchanged.
        foreach (var (args, says) in new (string[] Args, string Says)[]
        {
            (["limit", "set", "mail", "--rate", "50"], "'50' is not a rate"),
            (["limit", "set", "mail", "--rate", "0/s"], "1 to 1000000 jobs per period"),
            (["limit", "set", "mail"], "needs --rate"),
            (["limit", "set", "a b", "--rate", "1/s"], "is not a queue name"),
            (["limit", "clear", "mail", "--rate", "1/s"], "unexpected argument '1/s'"),
            (["limit", "show", "mail", "--per-key", "2"], "--per-key N goes with set"),
            (["limit", "set", "mail", "--per-key", "0"], "--per-key '0' is not a whole number from 1 to 1000000"),
            (["limit", "set", "mail", "--per-key", "x"], "--per-key 'x' is not a whole number"),
            (["limit", "bump", "mail"], "unknown action 'bump'"),
        })
        {
            var r = await Tools.GamutAsync([.. args, .. at]);
            Assert.Equal(255, r.Code);
            Assert.Contains(says, r.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        }

        Assert.Equal((0, "mail\trate 50/1s\nmail\tper-key 3\n"), Short(await Tools.GamutAsync(["limit", "show", "mail", .. at])));
        Assert.Equal((0, "mail: per-key limit cleared\n"), Short(await Tools.GamutAsync(["limit", "clear", "mail", "--per-key", .. at])));
        Assert.Equal((0, "mail\trate 50/1s\nmail: no per-key limit\n"), Short(await Tools.GamutAsync(["limit", "show", "mail", .. at])));
        Assert.Equal((0, "mail: rate limit cleared\nmail: had no per-key limit\n"), Short(await Tools.GamutAsync(["limit", "clear", "mail", .. at])));
        Assert.Equal((0, "mail: no rate limit\nmail: no per-key limit\n"), Short(await Tools.GamutAsync(["limit", "show", "mail", .. at])));
    }

    private static (int, string) Short((int Code, string Out, string Err) r) => (r.Code, r.Out);
}
