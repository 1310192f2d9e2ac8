using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Gamut.Redis.Workflows;

namespace Gamut.Redis.Tests.Workflows;

/// <summary>Chains, groups and chords against a real Redis and a real worker (issue 17).</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class WorkflowTests(SharedRedis redis)
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    private static readonly JobRef<int, int> AddOne = JobRef.To<AddOneJob, int, int>();
    private static readonly JobRef<int, int> Jitter = JobRef.To<JitterJob, int, int>();
    private static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();
    private static readonly JobRef<int[], int> Sum = JobRef.To<SumJob, int[], int>();
    private static readonly JobRef<int[], string> Join = JobRef.To<JoinJob, int[], string>();
    private static readonly JobRef<WorkflowOutcome<int>[], string> Outcomes = JobRef.To<OutcomesJob, WorkflowOutcome<int>[], string>();

    private async Task<(RedisExecutor Client, RedisWorker Worker, RedisOptions Options)> StartAsync(int concurrency = 4)
    {
        var options = TestOptions.For(redis.Server);
        var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = TestOptions.Registry(), Concurrency = concurrency });
        var client = await RedisExecutor.ConnectAsync(options);
        return (client, worker, options);
    }

    private Task<string> FieldAsync(RedisOptions options, string key, string field) =>
        redis.Server.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:{key}", field);

    [Fact]
    public async Task A_chain_hands_each_result_to_the_next_step()
    {
        var (client, worker, _) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var flow = Workflow.Job(Square, 3).Then(AddOne).Then(Square);
            Assert.Equal(100, await client.Workflows.RunAsync(flow).WaitAsync(TestOptions.Guard));
        }
    }

    [Fact]
    public async Task A_group_runs_its_members_and_a_chord_gets_every_result_in_order()
    {
        var (client, worker, options) = await StartAsync(concurrency: 8);
        await using (worker)
        await using (client)
        {
            var values = Enumerable.Range(1, 60).Reverse().ToArray();
            var group = Workflow.Group(values.Select(v => Workflow.Job(Jitter, v)));
            Assert.Equal(values, await client.Workflows.RunAsync(group).WaitAsync(TestOptions.Guard));

            var handle = await client.Workflows.StartAsync(Workflow.Chord(group, Join));
            Assert.Equal(string.Join(",", values), await client.Workflows.WaitAsync<string>(handle).WaitAsync(TestOptions.Guard));
            var status = await client.Workflows.GetStatusAsync(handle);
            Assert.Equal(new { State = "succeeded", Jobs = 61, Succeeded = 61, Failed = 0 }, new { status!.State, status.Jobs, status.Succeeded, status.Failed });
            // No workflow is left in the queue's running index.
            Assert.Equal("0", await redis.Server.CliAsync("SCARD", $"{options.KeyPrefix}:{{default}}:wfs"));
        }
    }

    [Fact]
    public async Task Workflows_nest_a_group_of_chains_inside_a_chord_inside_a_chain()
    {
        var (client, worker, _) = await StartAsync();
        await using (worker)
        await using (client)
        {
            // 2 → 4, then a chord whose members take 4: [5, 16, 17] → 38, then + 1.
            var members = Workflow.Group(new[] { Workflow.Job(AddOne), Workflow.Job(Square), Workflow.Job(Square).Then(AddOne) });
            var flow = Workflow.Job(Square, 2).Then(members.Then(Sum)).Then(AddOne);
            Assert.Equal(39, await client.Workflows.RunAsync(flow).WaitAsync(TestOptions.Guard));

            // A group of chains, as a chord's group: [2²+1, 3²+1] → 15.
            var chains = Workflow.Group(new[] { Workflow.Job(Square, 2).Then(AddOne), Workflow.Job(Square, 3).Then(AddOne) });
            Assert.Equal(15, await client.Workflows.RunAsync(Workflow.Chord(chains, Sum)).WaitAsync(TestOptions.Guard));
        }
    }

    [Fact]
    public async Task A_failure_stops_the_workflow_cancels_what_has_not_run_and_never_runs_the_callback()
    {
        var (client, worker, options) = await StartAsync(concurrency: 1);
        await using (worker)
        await using (client)
        {
            // One worker slot: the failing member (first in the queue) ends while the other 19 still wait.
            var group = Workflow.Group(new[] { -1 }.Concat(Enumerable.Range(1, 19)).Select(v => Workflow.Job(Jitter, v)));
            var handle = new WorkflowHandle("default", "stop-" + Guid.NewGuid().ToString("N")[..8]);
            var run = client.Workflows.RunAsync(Workflow.Chord(group, Sum), new WorkflowOptions { Id = handle.Id });
            var error = await Assert.ThrowsAsync<JobFailedException>(() => run.WaitAsync(TestOptions.Guard));
            Assert.Contains("member -1 fails as asked", error.Error.Message);

            var states = new List<string>();
            for (var n = 3; n <= 22; n++)
            {
                states.Add(await FieldAsync(options, $"job:{handle.Id}.{n}", "s"));
            }

            Assert.Equal("failed", states[0]);
            Assert.True(states.Count(s => s == "cancelled") >= 17, "the members that had not started are cancelled: " + string.Join(" ", states));
            Assert.All(states, s => Assert.Contains(s, new[] { "failed", "cancelled", "succeeded" }));
            // The callback (node 23) never existed.
            Assert.Equal("0", await redis.Server.CliAsync("EXISTS", $"{options.KeyPrefix}:{{default}}:job:{handle.Id}.23"));
            var status = await client.Workflows.GetStatusAsync(handle);
            Assert.Equal("failed", status!.State);
            Assert.Contains("fails as asked", status.Error);
        }
    }

    [Fact]
    public async Task A_settled_chord_goes_on_past_failures_and_hands_the_callback_each_outcome()
    {
        var (client, worker, _) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var group = Workflow.GroupSettled(new[] { 2, -3, 4, -5 }.Select(v => Workflow.Job(Jitter, v)));
            var result = await client.Workflows.RunAsync(Workflow.Chord(group, Outcomes)).WaitAsync(TestOptions.Guard);
            Assert.Equal("2,E:member -3 fails as asked,4,E:member -5 fails as asked", result);
        }
    }

    [Fact]
    public async Task Cancelling_a_workflow_cancels_what_has_not_run_and_ends_its_waiters()
    {
        var (client, worker, options) = await StartAsync();
        await using (worker)
        await using (client)
        {
            // A chain whose first job runs for a while: cancelled while it runs, the next step never starts.
            var flow = Workflow.Job(Sleep, 30_000).Then(AddOne);
            using var cts = new CancellationTokenSource();
            var id = "cancel-" + Guid.NewGuid().ToString("N")[..8];
            var run = client.Workflows.RunAsync(flow, new WorkflowOptions { Id = id }, cts.Token);
            await Wait.UntilAsync(async () => await FieldAsync(options, $"job:{id}.2", "s") == "running", "the first step runs");
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestOptions.Guard));
            Assert.Equal("cancelled", await FieldAsync(options, $"wf:{id}", "s"));
            await Wait.UntilAsync(async () => await FieldAsync(options, $"job:{id}.2", "s") == "cancelled", "the running step was stopped");
            Assert.Equal("0", await redis.Server.CliAsync("EXISTS", $"{options.KeyPrefix}:{{default}}:job:{id}.3"));

            // A second client waiting on it learns it was cancelled; a group's queued members are cancelled too.
            var group = await client.Workflows.StartAsync(Workflow.Group(Enumerable.Range(0, 50).Select(_ => Workflow.Job(Sleep, 30_000))));
            await Wait.UntilAsync(async () => await FieldAsync(options, $"job:{group.Id}.2", "s") == "running", "a member runs");
            var waiting = client.Workflows.WaitAsync<int[]>(group);
            Assert.Equal("cancelled", await client.Workflows.CancelAsync(group));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestOptions.Guard));
            Assert.Equal("cancelled", await FieldAsync(options, $"job:{group.Id}.51", "s"));
            await Wait.UntilAsync(async () => await FieldAsync(options, $"job:{group.Id}.2", "s") == "cancelled", "the running member was stopped");
            // Cancelling it again says the state it ended in.
            Assert.Equal("cancelled", await client.Workflows.CancelAsync(group));
            Assert.Equal("missing", await client.Workflows.CancelAsync(new WorkflowHandle("default", "no-such-workflow")));
        }
    }

    [Fact]
    public async Task Starting_a_workflow_twice_with_one_id_runs_it_once()
    {
        var (client, worker, options) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var id = "once-" + Guid.NewGuid().ToString("N")[..8];
            var flow = Workflow.Chord(Workflow.Group(Enumerable.Range(1, 5).Select(v => Workflow.Job(Square, v))), Sum);
            var first = client.Workflows.RunAsync(flow, new WorkflowOptions { Id = id });
            var second = client.Workflows.RunAsync(flow, new WorkflowOptions { Id = id });
            var results = await Task.WhenAll(first, second).WaitAsync(TestOptions.Guard);
            Assert.Equal(new[] { 55, 55 }, results);
            Assert.Equal("6", await redis.Server.CliAsync("HGET", $"{options.KeyPrefix}:{{default}}:stats", "enqueued"));
        }
    }

    [Fact]
    public async Task Gamut_status_counts_running_workflows_and_shows_one_by_id()
    {
        // No worker: the workflow stays running with its first job queued.
        var options = TestOptions.For(redis.Server);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var id = "status-" + Guid.NewGuid().ToString("N")[..8];
        await client.Workflows.StartAsync(Workflow.Chord(Workflow.Group(Enumerable.Range(1, 3).Select(v => Workflow.Job(Square, v))), Sum), new WorkflowOptions { Id = id });

        var all = await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--prefix", options.KeyPrefix);
        Assert.Equal(0, all.Code);
        Assert.Contains("workflows running: 1 (default 1)", all.Out);

        var one = await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--prefix", options.KeyPrefix, "--workflow", id);
        Assert.Equal(0, one.Code);
        Assert.Contains($"workflow {id} on queue default: running", one.Out);
        Assert.Contains("jobs      4 (0 succeeded, 0 failed or cancelled, 4 not ended)", one.Out);

        Assert.Equal("cancelled", await client.Workflows.CancelAsync(new WorkflowHandle("default", id)));
        var after = await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--prefix", options.KeyPrefix, "--workflow", id);
        Assert.Contains(": cancelled", after.Out);
        Assert.DoesNotContain("workflows running", (await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--prefix", options.KeyPrefix)).Out);

        var missing = await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--prefix", options.KeyPrefix, "--workflow", "nope");
        Assert.Equal(1, missing.Code);
        Assert.Contains("no workflow 'nope' on queue 'default'", missing.Err);
        var bad = await Tools.GamutAsync("status", "--redis", redis.Server.Url, "--workflow", "a b");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("is not a workflow id", bad.Err);
    }

    [Fact]
    public void Malformed_workflows_are_refused_with_a_clear_error()
    {
        Assert.Contains("at least one member", Assert.Throws<ArgumentException>(() => Workflow.Group(Array.Empty<WorkflowStep<int>>())).Message);
        Assert.Contains("cannot be delayed", Assert.Throws<ArgumentException>(() => Workflow.Job(Square, 1, new Gamut.Executors.JobOptions { Delay = TimeSpan.FromSeconds(1) })).Message);
        Assert.Throws<ArgumentException>(() => new WorkflowOptions { Id = "has space" }.Validate());
    }

    [Fact]
    public async Task Mixing_failure_policies_in_one_workflow_is_refused_before_anything_is_written()
    {
        var (client, worker, _) = await StartAsync();
        await using (worker)
        await using (client)
        {
            var settled = Workflow.GroupSettled(new[] { Workflow.Job(Square, 1) });
            var flow = Workflow.Group(new[] { Workflow.Chord(settled, Outcomes) });
            var error = await Assert.ThrowsAsync<ArgumentException>(() => client.Workflows.StartAsync(flow));
            Assert.Contains("one failure policy", error.Message);
        }
    }
}
