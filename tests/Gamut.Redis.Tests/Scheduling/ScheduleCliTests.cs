using System.Diagnostics;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary><c>gamut schedule</c> as a person types it, with a real <c>gamut worker</c> keeping the schedule.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ScheduleCliTests(SharedRedis redis)
{
    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => Tools.GamutAsync(args);

    [Fact]
    public async Task A_schedule_added_with_the_cli_is_kept_by_a_gamut_worker_and_listed_paused_resumed_and_removed()
    {
        var prefix = "cs" + Guid.NewGuid().ToString("N")[..6];
        var ledger = Path.Combine(Wait.TempDir("schedcli"), "ledger");
        string[] at = ["--redis", redis.Server.Url, "--prefix", prefix];
        var add = await RunAsync(["schedule", "add", "tick", "--cron", "* * * * * *", "--tz", "Europe/Berlin", "--misfire", "each", .. at,
            "--", "sh", "-c", "echo \"$GAMUT_JOB_ID $GAMUT_JOB_ATTEMPT\" >> \"$0\"", ledger]);
        Assert.True(add.Code == 0, add.Err);
        Assert.StartsWith("added tick on default: next tick ", add.Out, StringComparison.Ordinal);

        var again = await RunAsync(["schedule", "add", "tick", "--cron", "* * * * *", .. at, "--", "true"]);
        Assert.Equal((1, "gamut schedule: a schedule named 'tick' exists on the queue 'default'; add --replace to replace it\n"), (again.Code, again.Err));

        var psi = new ProcessStartInfo(Tools.GamutCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["worker", .. at, "-j", "2"])
        {
            psi.ArgumentList.Add(a);
        }

        using var worker = Process.Start(psi)!;
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(File.Exists(ledger) && File.ReadAllLines(ledger).Length >= 3), "three ticks ran", TestOptions.Guard);
            var list = await RunAsync(["schedule", "list", .. at]);
            Assert.Equal(0, list.Code);
            Assert.Matches(@"(?m)^tick\s+default\s+\* \* \* \* \* \*\s+Europe/Berlin\s+each\s+active\s+\S+ \S+Z\s+\S+ \S+Z\s+\d+\s+sh -c ", list.Out);

            Assert.Equal((0, "paused tick\n"), ((await RunAsync(["schedule", "pause", "tick", .. at])) is var p ? (p.Code, p.Out) : default));
            Assert.Contains(" paused ", (await RunAsync(["schedule", "list", .. at])).Out, StringComparison.Ordinal);
            Assert.Equal((0, "resumed tick\n"), ((await RunAsync(["schedule", "resume", "tick", .. at])) is var r ? (r.Code, r.Out) : default));
            Assert.Equal((0, "removed tick\n"), ((await RunAsync(["schedule", "remove", "tick", .. at])) is var d ? (d.Code, d.Out) : default));
            Assert.Equal((1, "gamut schedule: no schedule named 'tick'\n"), ((await RunAsync(["schedule", "remove", "tick", .. at])) is var n ? (n.Code, n.Err) : default));
            Assert.Equal($"no schedules under the prefix '{prefix}'\n", (await RunAsync(["schedule", "list", .. at])).Out);
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", worker.Id.ToString()]);
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
        }

        // Each line: the job's id (its tick) and attempt, seen by the command in its environment; one per tick.
        var lines = File.ReadAllLines(ledger).Select(l => l.Split(' ')).ToList();
        Assert.All(lines, l => Assert.Matches(@"^sched\.tick\.\d{8}T\d{6}Z$", l[0]));
        Assert.Equal(lines.Count, lines.Select(l => l[0]).Distinct().Count());
        Assert.All(lines, l => Assert.Equal("1", l[1]));
    }

    [Theory]
    [InlineData("'61 * * * *' is not a valid cron expression (minutes: value must be a number between 0 and 59 (all inclusive))", "--cron", "61 * * * *", "--", "true")]
    [InlineData("'* * *' is not a valid cron expression (it has 3 fields)", "--cron", "* * *", "--", "true")]
    [InlineData("unknown time zone 'Mars/Olympus'", "--cron", "* * * * *", "--tz", "Mars/Olympus", "--", "true")]
    [InlineData("schedule add needs the command to run, after --", "--cron", "* * * * *")]
    [InlineData("schedule add needs --cron EXPR", "--", "true")]
    [InlineData("--misfire 'later': use once, skip or each", "--cron", "* * * * *", "--misfire", "later", "--", "true")]
    public async Task A_bad_schedule_is_refused_with_one_line_in_gamuts_words_and_nothing_stored(string message, params string[] args)
    {
        var prefix = "cb" + Guid.NewGuid().ToString("N")[..6];
        var bad = await RunAsync(["schedule", "add", "bad", "--redis", redis.Server.Url, "--prefix", prefix, .. args]);
        Assert.Equal(255, bad.Code);
        Assert.Contains("gamut schedule: " + message, bad.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.Err, StringComparison.Ordinal);
        Assert.Equal(2, bad.Err.TrimEnd('\n').Split('\n').Length); // the message, and "Try 'gamut schedule --help'."
        Assert.Equal($"no schedules under the prefix '{prefix}'\n", (await RunAsync("schedule", "list", "--redis", redis.Server.Url, "--prefix", prefix)).Out);
    }
}
