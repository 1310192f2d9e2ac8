using System.Diagnostics;
using Gamut.Jobs.Commands;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Ledger;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Scheduling;

/// <summary>
/// SCHED-1 (docs/reliability.md): several <c>gamut worker</c> processes keep a 1-second schedule; one is killed -9 and
/// Redis is killed -9 and restarted from its append-only file (<c>appendfsync always</c>) while ticks go on. Per
/// tick exactly one job: an outside ledger (the command appends its job id and attempt to a file) and the job
/// records in Redis are compared with every second from the first tick to the last.
/// </summary>
public sealed class ScheduleFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Schedulers_killed_and_redis_restarted_from_its_aof_lose_no_tick_and_double_none()
    {
        var seed = ChaosSeed.Start(output, "SCHED-1");
        var schedulers = Wait.Scale(3, 5);
        var ticksPerPhase = Wait.Scale(3, 20);
        await using var server = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        var prefix = "sf" + Guid.NewGuid().ToString("N")[..6];
        var options = RedisOptions.FromUrl(server.Url).WithKeyPrefix(prefix);
        var ledger = Path.Combine(Wait.TempDir("schedfault"), "ledger");
        await using var schedules = await RedisSchedules.ConnectAsync(options);
        await schedules.AddAsync(ScheduleDefinition.ForCommand("chaos", "* * * * * *",
            new CommandSpec { Executable = "/bin/sh", Arguments = ["-c", "echo \"$GAMUT_JOB_ID $GAMUT_JOB_ATTEMPT\" >> \"$0\"", ledger] }).WithMisfire(MisfirePolicy.Each));

        var workers = Enumerable.Range(0, schedulers).Select(_ => StartWorker(server.Url, prefix)).ToList();
        var killed = 0;
        try
        {
            async Task TicksAsync(string what)
            {
                // Read through a fresh connection each time: Redis may just have come back.
                var start = await FiredAsync(server, prefix);
                await Wait.UntilAsync(async () => await FiredAsync(server, prefix) >= start + ticksPerPhase, what, TimeSpan.FromSeconds(90));
            }

            await TicksAsync("the first ticks");
            var victim = workers[seed.Random.Next(workers.Count)];
            victim.Kill();
            await victim.WaitForExitAsync();
            killed++;
            await TicksAsync("ticks after a scheduler was killed -9");
            await server.RestartAsync();
            await TicksAsync("ticks after Redis restarted from its AOF");
            Assert.True(await schedules.RemoveAsync("chaos").WaitAsync(TestOptions.Guard));

            // Drain: every job record ended (the killed worker's job, if it held one, is reaped and run again).
            await Wait.UntilAsync(async () => (await RecordsAsync(server, prefix)).All(r => r.State == "succeeded"), "every scheduled job ended", TimeSpan.FromSeconds(90));
        }
        finally
        {
            foreach (var w in workers.Where(w => !w.HasExited))
            {
                using var term = Process.Start("kill", ["-TERM", w.Id.ToString()]);
                await w.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            }
        }

        var records = await RecordsAsync(server, prefix);
        var ran = File.ReadAllLines(ledger).Select(l => l.Split(' ')).Select(p => (Id: p[0], Attempt: int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var ticks = records.Select(r => ScheduleTests.TickOf(r.Id)).Concat(ran.Select(r => ScheduleTests.TickOf(r.Id))).Distinct().Order().ToList();
        var expected = (int)(ticks[^1] - ticks[0]).TotalSeconds + 1;
        var recorded = records.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var lost = expected - ticks.Count + ticks.Count(t => !recorded.Contains(ScheduleDefinition.JobId("chaos", t)));
        var doubled = ran.Where(r => r.Attempt == 1).GroupBy(r => r.Id).Count(g => g.Count() > 1);
        var notRun = records.Count(r => !ran.Any(x => x.Id == r.Id));
        var reruns = ran.Count(r => r.Attempt > 1);
        // In the columns of the other tallies (bench/chaos/tallies.py): submitted = the ticks from the first to the last,
        // acked = the job records, executed = the executions in the ledger (a rerun of a killed worker's job counts),
        // duplicates = ticks whose job was created twice, stuck = records that never ran.
        var line = $"SCHED-1 {schedulers} schedulers: seed={seed.Seed} size={ChaosSeed.Size} submitted={expected} acked={records.Count} indeterminate=0 "
            + $"executed={ran.Count} lost={lost} lost_result=0 duplicates={doubled} unexpected=0 stuck={notRun} dead_lettered=0 reported_duplicates=0"
            + $" | reruns={reruns} killed={killed} redis_restarts=1 | gamut worker processes on a 1-second schedule (misfire each); one killed -9, Redis killed -9 and restarted from its AOF (appendfsync always)";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("GAMUT_CHAOS_TALLIES") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + "\n");
        }

        Assert.True(lost == 0, $"{seed}: ticks lost — {line}");
        Assert.True(doubled == 0, $"{seed}: a tick's job was enqueued twice — {line}");
        Assert.True(notRun == 0, $"{seed}: a scheduled job never ran — {line}");
        Assert.Equal(expected, records.Count);
    }

    private static Process StartWorker(string url, string prefix)
    {
        var psi = new ProcessStartInfo(Tools.GamutCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "worker", "--redis", url, "--prefix", prefix, "-j", "2" })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<long> FiredAsync(RedisServer server, string prefix)
    {
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},connectTimeout=2000");
            var f = await mux.GetDatabase().HashGetAsync($"{prefix}:{{default}}:schedule:chaos", "f");
            return f.TryParse(out long n) ? n : 0;
        }
        catch (RedisConnectionException)
        {
            return -1;
        }
    }

    private static async Task<List<(string Id, string? State)>> RecordsAsync(RedisServer server, string prefix)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port}");
        var db = mux.GetDatabase();
        var list = new List<(string, string?)>();
        foreach (var key in mux.GetServers()[0].Keys(pattern: $"{prefix}:{{default}}:job:sched.chaos.*"))
        {
            var k = key.ToString();
            list.Add((k[(k.LastIndexOf(':') + 1)..], await db.HashGetAsync(key, "s")));
        }

        return list;
    }
}
