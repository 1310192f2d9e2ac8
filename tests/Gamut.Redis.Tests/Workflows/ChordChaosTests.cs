using Gamut.Jobs;
using Gamut.Redis.Tests.Chaos;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Gamut.Redis.Tests.Ledger;
using Gamut.Redis.Workflows;
using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Workflows;

/// <summary>
/// Issue 17's fault scenario: a chord of 2,000 members (10,000 with GAMUT_CHAOS_SIZE=soak) run by worker processes
/// killed -9 at random while it runs. The callback must be created exactly once and run with every result in order;
/// the execution logs outside Redis count what ran where.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ChordChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WF1_a_chord_whose_workers_are_killed_at_random_runs_its_callback_once_with_every_result()
    {
        await using var run = await ChaosRun.StartAsync(output, "WF-1");
        var members = Wait.Scale(2_000, 10_000);
        for (var i = 0; i < 3; i++)
        {
            await run.StartWorkerAsync(8);
        }

        await using var client = await RedisExecutor.ConnectAsync(run.Options);
        var id = "wf1-" + run.Seed.Seed;
        var chord = Workflow.Chord(
            Workflow.Group(Enumerable.Range(1, members).Select(v => Workflow.Job(JobRef.To<LedgerValueJob, int, int>(), v))),
            JobRef.To<LedgerCheckJob, int[], int>());
        var result = client.Workflows.RunAsync(chord, new WorkflowOptions { Id = id });

        // Kill a random working worker every 0.1–0.4 s and start another in its place (not waiting for it), until
        // the chord has its result; one worker at least is left working.
        var kills = 0;
        while (!result.IsCompleted)
        {
            await Task.WhenAny(result, Task.Delay(run.Seed.Between(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400))));
            var working = run.Workers.Where(w => w.Ready.IsCompletedSuccessfully && !w.HasExited && !run.Killed.Contains(w.Pid)).ToList();
            if (result.IsCompleted || working.Count < 2)
            {
                continue;
            }

            run.Kill(working[run.Seed.Random.Next(working.Count)]);
            kills++;
            run.Workers.Add(WorkerProcess.Start(run.Server, run.Prefix, "default", 8, run.Directory));
        }

        var inOrder = await result.WaitAsync(TestOptions.Guard);
        await run.DrainAsync();
        // A replacement still starting is let start, so that SIGTERM finds it ready to stop cleanly.
        await Task.WhenAll(run.Workers.Where(w => !run.Killed.Contains(w.Pid)).Select(w => w.Ready)).WaitAsync(TestOptions.Guard);
        await run.StopWorkersAsync();

        // Node numbers: the chord is chain 1 of group 2 (members 3 … members+2) and the callback members+3.
        var callbackId = $"{id}.{members + 3}";
        var executions = ExecutionLog.ReadAll(run.Directory);
        var memberRuns = executions.Where(e => e.Id != callbackId).ToList();
        var callbackRuns = executions.Where(e => e.Id == callbackId).ToList();
        var executedMembers = memberRuns.Select(e => e.Id).Distinct().Count();
        var duplicates = memberRuns.Count - executedMembers;
        // The callback's recorded run is the one with the winning fence (its record's delivery count); any earlier
        // run was on a worker killed before it recorded.
        var fence = int.Parse(await run.Server.CliAsync("HGET", $"{run.Prefix}:{{default}}:job:{callbackId}", "a"));
        var callbackRecorded = callbackRuns.Count(e => e.Attempt == fence);
        var callbackLostRuns = callbackRuns.Count(e => e.Attempt != fence && !run.Killed.Contains(e.Pid));
        var wf = $"{run.Prefix}:{{default}}:wf:{id}";
        var succeededJobs = int.Parse(await run.Server.CliAsync("HGET", wf, "ok"));
        var failedJobs = await run.Server.CliAsync("HGET", wf, "ko");
        var callbackState = await run.Server.CliAsync("HGET", $"{run.Prefix}:{{default}}:job:{callbackId}", "s");
        var reported = await run.Server.CliAsync("HGET", $"{run.Prefix}:{{default}}:stats", "duplicates");

        // The ledger's tally columns, for the workflow's jobs (members and callback): created by the scripts, so
        // submitted = acked; lost = jobs whose success the workflow did not count.
        var jobs = members + 1;
        var unexpected = executions.Count(e => !e.Id.StartsWith(id + ".", StringComparison.Ordinal));
        var line = $"{run.Seed.Scenario}: seed={run.Seed.Seed} size={ChaosSeed.Size} submitted={jobs} acked={jobs} indeterminate=0 " +
            $"executed={executedMembers + (callbackRuns.Count > 0 ? 1 : 0)} lost={jobs - succeededJobs} lost_result=0 duplicates={duplicates + Math.Max(0, callbackRuns.Count - 1)} " +
            $"unexpected={unexpected} stuck=0 dead_lettered=0 reported_duplicates={(reported.Length == 0 ? "0" : reported)} | " +
            $"kills={kills} callback_created=1 callback_executions={callbackRuns.Count} callback_recorded_runs={callbackRecorded} callback_deliveries={fence} " +
            $"results_in_order={inOrder} workflow_jobs_failed={(failedJobs.Length == 0 ? "0" : failedJobs)} " +
            $"| a chord of {members} members; 3 workers x 8, one killed -9 every 0.1-0.4 s and replaced";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("GAMUT_CHAOS_TALLIES") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + "\n");
        }

        Assert.True(inOrder == members, $"{run.Seed}: the callback saw {inOrder} of {members} results in their places — {line}");
        Assert.True(executedMembers == members, $"{run.Seed}: members lost — {line}");
        Assert.True(callbackRecorded == 1, $"{run.Seed}: {callbackRecorded} runs of the callback carry its winning fence — {line}");
        Assert.True(callbackLostRuns == 0, $"{run.Seed}: a run of the callback that lost was not on a killed worker — {line}");
        Assert.True(succeededJobs == members + 1, $"{run.Seed}: the workflow counted {succeededJobs} job ends for {members + 1} jobs — {line}");
        Assert.Equal("succeeded", callbackState);
        Assert.True(unexpected == 0, $"{run.Seed}: jobs ran that are not the workflow's — {line}");
        Assert.True(kills > 0 || members < 1_000, $"{run.Seed}: no worker was killed while the chord ran — {line}");
    }
}
