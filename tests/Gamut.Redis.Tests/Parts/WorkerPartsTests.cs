using System.Text;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Tests.Infrastructure;
using Gamut.Redis.Tests.Jobs;
using Gamut.Redis.Worker;
using Gamut.Redis.Worker.Engine;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Parts;

/// <summary>
/// The parts an instance's worker is composed of, each on its own against a real redis-server: the taker, the
/// execution (with the sink and the slots), the heartbeat, the reaper, the reconciler and the registration. Jobs are
/// put on the queue by a real client; no <see cref="RedisWorker"/> runs here. The reaper and the reconciler are given
/// their clock (the passes' times), so their two looks need no waiting.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class WorkerPartsTests(SharedRedis redis) : IAsyncLifetime
{
    private const string Queue = "default";
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    private static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();
    private readonly string _me = "me-" + Guid.NewGuid().ToString("N")[..8];
    private RedisOptions _redisOptions = null!;
    private RedisConnection _connection = null!;
    private RedisExecutor _client = null!;
    private readonly HeldJobs _held = new();
    private readonly WorkerTally _tally = new();

    private QueueKeys Keys => _connection.Queue(Queue);

    private QueueKeys[] Queues => [Keys];

    private IDatabase Db => _connection.Database;

    private long MinGap => (long)(_redisOptions.HeartbeatInterval.TotalMilliseconds * 2);

    private static RedisWorkerOptions WorkerOptions => new() { Registry = TestOptions.Registry(), Concurrency = 4 };

    public async Task InitializeAsync()
    {
        _redisOptions = TestOptions.For(redis.Server);
        _connection = await RedisConnection.ConnectAsync(_redisOptions, CancellationToken.None);
        _client = await RedisExecutor.ConnectAsync(_redisOptions);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private JobTaker Taker(string worker, Action<TakenJob>? start = null) =>
        new(_connection, WorkerOptions, worker, Queues, new WorkerSlots(4), _held, new BrokenQueues(_connection.Logger, worker, _connection.Name), start ?? (_ => { }));

    private async Task<string> StateAsync(string id) => (string?)await Db.HashGetAsync(Keys.Job(id), "s") ?? "none";

    [Fact]
    public void Held_jobs_track_entries_move_an_adopted_entry_to_its_id_and_reach_a_running_job_with_a_cancel()
    {
        var raw = new TakenJob { Queue = Keys, Id = "", Raw = [1, 2, 3], EntryKey = "raw:abc" };
        _held.Hold(Queue, raw.EntryKey);
        Assert.True(_held.IsHeld(Queue, "raw:abc"));

        raw.Id = "adopted";
        _held.Register(raw);
        Assert.Equal("adopted", raw.EntryKey);
        Assert.True(_held.IsHeld(Queue, "adopted"));
        Assert.False(_held.IsHeld(Queue, "raw:abc"));

        Assert.True(_held.Cancel(Queue, "adopted"));
        Assert.True(raw.CancelRequested);
        Assert.True(raw.Cancel.IsCancellationRequested);
        Assert.False(_held.Cancel(Queue, "elsewhere"));
        Assert.Equal([raw], _held.Unfinished());
        raw.Finished = true;
        Assert.Empty(_held.Unfinished());

        _held.Unregister(raw);
        _held.Release(Queue, raw.EntryKey);
        Assert.False(_held.Cancel(Queue, "adopted"));
        Assert.False(_held.IsHeld(Queue, "adopted"));
    }

    [Fact]
    public void Outcomes_retry_while_attempts_are_left_then_fail_with_a_dead_letter_and_a_timeout_fails_unless_its_policy_retries_it()
    {
        var job = new TakenJob { Queue = Keys, Id = "j1", Name = "test.fail", MaxAttempts = 3, Failures = 1 };
        var retry = Outcomes.Failure(job, new InvalidOperationException("boom"), retryable: true);
        Assert.Equal("retry", retry.Kind);
        Assert.True(long.Parse(Encoding.ASCII.GetString(retry.Arg), System.Globalization.CultureInfo.InvariantCulture) >= 0);

        job.Failures = 2;
        var last = Outcomes.Failure(job, new InvalidOperationException("boom"), retryable: true);
        Assert.Equal("fail", last.Kind);
        Assert.Contains("boom", Encoding.UTF8.GetString(last.Arg), StringComparison.Ordinal);
        Assert.Equal("fail", Outcomes.Failure(job, new InvalidOperationException("x"), retryable: false).Kind);

        var timed = new TakenJob { Queue = Keys, Id = "j2", Name = "test.sleep", MaxAttempts = 3 };
        Assert.Equal("fail", Outcomes.TimedOut(timed, TimeSpan.FromSeconds(1), "stopped").Kind);
        timed.Backoff = Backoff.Format(RetryPolicy.Attempts(3) with { RetryOnTimeout = true });
        Assert.Equal("retry", Outcomes.TimedOut(timed, TimeSpan.FromSeconds(1), "stopped").Kind);

        var dead = Outcomes.Dead(timed, "unknown-job", "no such job");
        Assert.Equal("dead", dead.Kind);
        Assert.Contains("unknown-job", Encoding.UTF8.GetString(dead.Arg), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_taker_moves_jobs_in_order_to_its_in_flight_list_marks_them_running_and_says_when_a_delayed_one_is_due()
    {
        var handles = await _client.EnqueueManyAsync(Square, [1, 2, 3]);
        var taker = Taker(_me);
        var (jobs, due) = await taker.TakeAsync(Keys, 2);

        Assert.Equal(handles.Take(2).Select(h => h.Id), jobs.Select(j => j.Id));
        Assert.All(jobs, j => Assert.Equal((1L, "test.square"), (j.Fence, j.Name)));
        Assert.Null(due);
        Assert.Equal(jobs.Select(j => (RedisValue)j.Id), (await Db.ListRangeAsync(Keys.Active(_me))).Reverse());
        Assert.Equal("running", await StateAsync(jobs[0].Id));
        Assert.Equal(1, await Db.ListLengthAsync(Keys.Ready));

        var (rest, _) = await taker.TakeAsync(Keys, 10);
        Assert.Equal([handles[2].Id], rest.Select(j => j.Id));
        await _client.EnqueueAsync(Square, 4, new JobOptions { Delay = TimeSpan.FromHours(1) });
        var (none, later) = await taker.TakeAsync(Keys, 10);
        Assert.Empty(none);
        Assert.NotNull(later);
        Assert.InRange(later!.Value - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TimeSpan.FromMinutes(50).TotalMilliseconds, TimeSpan.FromMinutes(70).TotalMilliseconds);
    }

    [Fact]
    public async Task The_taker_loop_holds_and_starts_every_job_and_stops_on_its_token()
    {
        var started = new List<TakenJob>();
        var taker = Taker(_me, job => { lock (started) { started.Add(job); } });
        using var stop = new CancellationTokenSource();
        var loop = taker.RunAsync(stop.Token);
        var handles = await _client.EnqueueManyAsync(Square, [1, 2, 3]);
        taker.Wake();

        await Wait.UntilAsync(() => { lock (started) { return Task.FromResult(started.Count == 3); } }, "the taker started the three jobs");
        Assert.All(handles, h => Assert.True(_held.IsHeld(Queue, h.Id)));
        await stop.CancelAsync();
        await loop.WaitAsync(TestOptions.Guard);
    }

    [Fact]
    public async Task The_adopter_turns_a_raw_envelope_into_a_job_in_place_of_its_entry_and_dead_letters_one_that_is_not_json()
    {
        var adopter = new RawEntryAdopter(_connection, _me, WorkerOptions.Serializer, _tally);
        var id = "raw-" + Guid.NewGuid().ToString("N")[..8];
        await Db.ListLeftPushAsync(Keys.Ready, $"{{\"v\":1,\"id\":\"{id}\",\"name\":\"test.square\",\"payload\":6}}");
        await Db.ListLeftPushAsync(Keys.Ready, "not json at all");
        var (jobs, _) = await Taker(_me).TakeAsync(Keys, 2);
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.NotNull(j.Raw));

        Assert.True(await adopter.AdoptAsync(jobs[0]));
        Assert.Equal((id, "test.square", 1L), (jobs[0].Id, jobs[0].Name, jobs[0].Fence));
        Assert.Null(jobs[0].Raw);
        Assert.Equal("running", await StateAsync(id));

        Assert.False(await adopter.AdoptAsync(jobs[1]));
        Assert.Equal([(RedisValue)id], await Db.ListRangeAsync(Keys.Active(_me)));
        Assert.Equal(1, await Db.ListLengthAsync(Keys.Dead));
        Assert.Contains("not-json", (string?)(await Db.ListRangeAsync(Keys.Dead))[0], StringComparison.Ordinal);
        Assert.Equal(1, _tally.Snapshot.DeadLettered);
    }

    [Fact]
    public async Task The_execution_runs_a_job_in_a_slot_records_its_outcome_releases_it_and_dead_letters_an_unknown_name()
    {
        var slots = new WorkerSlots(4);
        var sink = new CompletionSink(_connection, _me);
        await using var runner = new ThreadsJobRunner(4, WorkerOptions.Registry, WorkerOptions.Serializer);
        var execution = new JobExecution(_connection, WorkerOptions, _me, runner, slots, _held, sink, new RawEntryAdopter(_connection, _me, WorkerOptions.Serializer, _tally), () => false);
        var square = await _client.EnqueueAsync(Square, 7);
        await _client.EnqueueAsync(JobRef.Named<int, int>("no.such.job"), 1);
        var taker = Taker(_me);
        var (jobs, _) = await taker.TakeAsync(Keys, 10);
        Assert.Equal(2, jobs.Count);
        foreach (var job in jobs)
        {
            _held.Hold(Queue, job.EntryKey);
            execution.Start(job);
        }

        Assert.Equal(49, await _client.WaitAsync<int>(square).WaitAsync(TestOptions.Guard));
        await Wait.UntilAsync(async () => await StateAsync(jobs[1].Id) == "dead", "the unknown job was dead-lettered");
        await Wait.UntilAsync(() => Task.FromResult(_held.Running == 0 && _held.Recording == 0 && slots.Free == 4), "the slots were freed");
        Assert.All(jobs, j => Assert.False(_held.IsHeld(Queue, j.Id)));
        Assert.Equal(0, await Db.ListLengthAsync(Keys.Active(_me)));
        await sink.DrainAsync(CancellationToken.None);
    }

    [Fact]
    public async Task At_the_deadline_the_execution_cancels_a_running_job_and_hands_it_back_to_its_queue()
    {
        var sink = new CompletionSink(_connection, _me);
        await using var runner = new ThreadsJobRunner(4, WorkerOptions.Registry, WorkerOptions.Serializer);
        var execution = new JobExecution(_connection, WorkerOptions, _me, runner, new WorkerSlots(4), _held, sink, new RawEntryAdopter(_connection, _me, WorkerOptions.Serializer, _tally), () => false);
        var slow = await _client.EnqueueAsync(Sleep, 600_000);
        var (jobs, _) = await Taker(_me).TakeAsync(Keys, 1);
        _held.Hold(Queue, jobs[0].EntryKey);
        execution.Start(jobs[0]);
        await Wait.UntilAsync(() => Task.FromResult(_held.Unfinished().Length == 1), "the job is running");

        await execution.FinishOrHandBackAsync(TimeSpan.Zero, CancellationToken.None).WaitAsync(TestOptions.Guard);
        await sink.DrainAsync(CancellationToken.None);
        Assert.True(jobs[0].HandedBack);
        Assert.Equal("queued", await StateAsync(slow.Id));
        Assert.Equal([(RedisValue)slow.Id], await Db.ListRangeAsync(Keys.Ready));
        Assert.Equal(0, await Db.ListLengthAsync(Keys.Active(_me)));
    }

    [Fact]
    public async Task A_beat_sets_the_heartbeat_and_the_workers_entries_and_delivers_the_cancel_requests_left_for_it()
    {
        var cancels = new List<(string, string)>();
        var heartbeat = new Heartbeat(_connection, WorkerOptions, _me, Queues, _held, new BrokenQueues(_connection.Logger, _me, _connection.Name), (q, id) => cancels.Add((q, id)));
        await Db.SetAddAsync(Keys.Cancels(_me), "job-1");
        var before = DateTimeOffset.UtcNow;
        await heartbeat.BeatAsync(CancellationToken.None);

        Assert.True(heartbeat.Last >= before);
        Assert.True(await Db.KeyExistsAsync(Keys.Heartbeat(_me)));
        Assert.True(await Db.SetContainsAsync(Keys.Workers, _me));
        Assert.NotNull(await Db.SortedSetScoreAsync(_connection.Global.Workers, _me));
        Assert.Contains("\"concurrency\":4", (string?)await Db.HashGetAsync(_connection.Global.WorkerInfo(_me), "info"), StringComparison.Ordinal);
        Assert.True(await Db.SetContainsAsync(_connection.Global.Queues, Queue));
        Assert.Equal([(Queue, "job-1")], cancels);
        Assert.False(await Db.KeyExistsAsync(Keys.Cancels(_me)));
    }

    [Fact]
    public async Task The_reaper_returns_a_silent_workers_jobs_only_at_a_second_look_two_beats_later_and_spares_one_that_beat_again()
    {
        var reaper = new Reaper(_connection, _me, Queues, new BrokenQueues(_connection.Logger, _me, _connection.Name), _tally);
        var lost = await _client.EnqueueAsync(Square, 3);
        await Taker("ghost").TakeAsync(Keys, 1);
        await Db.SetAddAsync(Keys.Workers, ["ghost", "sleeper"]);

        await reaper.ReapAsync(now: 0, CancellationToken.None);
        Assert.Equal(2, reaper.Suspects);
        await reaper.ReapAsync(now: MinGap - 1, CancellationToken.None);
        Assert.Equal("running", await StateAsync(lost.Id));

        // The sleeper beats again before the next look: no longer a suspect. The ghost is reaped.
        await Db.StringSetAsync(Keys.Heartbeat("sleeper"), "{}", TimeSpan.FromMinutes(1));
        await reaper.ReapAsync(now: MinGap, CancellationToken.None);
        Assert.Equal("queued", await StateAsync(lost.Id));
        Assert.Equal([(RedisValue)lost.Id], await Db.ListRangeAsync(Keys.Ready));
        Assert.False(await Db.SetContainsAsync(Keys.Workers, "ghost"));
        Assert.True(await Db.SetContainsAsync(Keys.Workers, "sleeper"));
        Assert.Equal(1, _tally.Snapshot.Reaped);
        Assert.Equal(0, reaper.Suspects);
    }

    [Fact]
    public async Task The_reconciler_gives_back_an_entry_of_our_list_we_do_not_hold_at_a_second_look_and_keeps_a_held_one()
    {
        var reconciler = new InFlightReconciler(_connection, _me, Queues, _held);
        var handles = await _client.EnqueueManyAsync(Square, [1, 2]);
        var (jobs, _) = await Taker(_me).TakeAsync(Keys, 2);
        var held = jobs.Single(j => j.Id == handles[0].Id);
        _held.Hold(Queue, held.EntryKey);

        await reconciler.ReconcileAsync(now: 0, CancellationToken.None);
        Assert.Equal(1, reconciler.Unknown);
        await reconciler.ReconcileAsync(now: MinGap - 1, CancellationToken.None);
        Assert.Equal(2, await Db.ListLengthAsync(Keys.Active(_me)));

        await reconciler.ReconcileAsync(now: MinGap, CancellationToken.None);
        Assert.Equal([(RedisValue)held.Id], await Db.ListRangeAsync(Keys.Active(_me)));
        Assert.Equal([(RedisValue)handles[1].Id], await Db.ListRangeAsync(Keys.Ready));
        Assert.Equal(0, reconciler.Unknown);
    }

    [Fact]
    public async Task The_registration_hears_control_and_wake_messages_and_leaving_removes_the_worker_and_its_lists()
    {
        var registration = new WorkerRegistration(_connection, _me, Queues);
        var control = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await registration.JoinAsync(m => control.TrySetResult(m), () => woken.TrySetResult(), CancellationToken.None);
        await new Heartbeat(_connection, WorkerOptions, _me, Queues, _held, new BrokenQueues(_connection.Logger, _me, _connection.Name), (_, _) => { }).BeatAsync(CancellationToken.None);

        await _connection.Subscriber.PublishAsync(_connection.Global.Control(_me), "cancel default j1");
        Assert.Equal("cancel default j1", await control.Task.WaitAsync(TestOptions.Guard));
        await _connection.Subscriber.PublishAsync(Keys.WakeChannel, "1");
        await woken.Task.WaitAsync(TestOptions.Guard);

        await registration.LeaveAsync();
        Assert.False(await Db.KeyExistsAsync(Keys.Heartbeat(_me)));
        Assert.False(await Db.SetContainsAsync(Keys.Workers, _me));
        Assert.Null(await Db.SortedSetScoreAsync(_connection.Global.Workers, _me));
        Assert.False(await Db.KeyExistsAsync(_connection.Global.WorkerInfo(_me)));
    }

    [Fact]
    public async Task Joining_is_refused_naming_the_key_when_the_workers_list_has_the_wrong_type()
    {
        await Db.StringSetAsync(_connection.Global.Workers, "not a sorted set");
        var registration = new WorkerRegistration(_connection, _me, Queues);
        var error = await Assert.ThrowsAsync<RedisKeyTypeException>(() => registration.JoinAsync(_ => { }, () => { }, CancellationToken.None));
        Assert.Equal((string)_connection.Global.Workers!, error.Key);
    }
}
