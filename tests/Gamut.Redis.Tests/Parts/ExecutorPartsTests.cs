using System.Text;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Client.Engine;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Gamut.Redis.Tests.Chaos;
using Gamut.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gamut.Redis.Tests.Parts;

/// <summary>
/// The parts a <see cref="RedisExecutor"/> is composed of, each on its own against a real redis-server: the retrying
/// script caller, the queue list, the router, the enqueuer, the records, the result watch, the replica wait and the
/// payload codec. No executor is built here: each part gets only what it is constructed with.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ExecutorPartsTests(SharedRedis redis) : IAsyncLifetime
{
    private const string Queue = "parts";
    private IRedisDeployment _deployment = null!;
    private RetryingScripts _scripts = null!;
    private KnownQueues _queues = null!;
    private JobRouter _router = null!;
    private PayloadCodec _codec = null!;

    private RedisConnection Only => _deployment.Instances[0];

    private QueueKeys Keys => Only.Queue(Queue);

    public async Task InitializeAsync()
    {
        _deployment = await Deployments.ConnectAsync(TestOptions.For(redis.Server), CancellationToken.None);
        _scripts = new RetryingScripts();
        _queues = new KnownQueues();
        _router = new JobRouter(_deployment, _scripts, _queues);
        _codec = new PayloadCodec(new JsonJobSerializer(), 64);
    }

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private JobEnqueuer Enqueuer(int batchSize = 100) => new(_deployment.Options.KeyPrefix, _router, _codec, batchSize);

    private static JobArgs Job(string id, int input, JobOptions? options = null)
    {
        var args = new List<RedisValue>();
        EnqueueArgs.Add(args, id, "parts.job", Encoding.UTF8.GetBytes(input.ToString(System.Globalization.CultureInfo.InvariantCulture)), options ?? JobOptions.Default, null);
        return new JobArgs(id, [.. args]);
    }

    private Task<RedisValue> FieldAsync(string id, string field) => Only.Database.HashGetAsync(Keys.Job(id), field);

    [Fact]
    public async Task The_router_creates_jobs_on_the_one_redis_lists_their_queue_and_a_second_send_of_the_same_ids_creates_nothing()
    {
        var ids = new[] { JobIds.New(), JobIds.New(), JobIds.New() };
        var first = await _router.SendAsync(Keys, [.. ids.Select((id, i) => Job(id, i))], CancellationToken.None);

        Assert.Equal(ids, first.Select(r => r.Id));
        Assert.All(first, r => Assert.Equal(("created", Only), (r.State, r.Where)));
        Assert.Equal(3, await Only.Database.ListLengthAsync(Keys.Ready));
        Assert.True(_queues.Contains(Only, Queue));
        await Wait.UntilAsync(async () => await Only.Database.SetContainsAsync(Only.Global.Queues, Queue), "the queue was listed");

        var again = await _router.SendAsync(Keys, [.. ids.Select((id, i) => Job(id, i))], CancellationToken.None);
        Assert.All(again, r => Assert.Equal("queued", r.State));
        Assert.Equal(3, await Only.Database.ListLengthAsync(Keys.Ready));
        Assert.Equal(0, _router.Rerouted);
    }

    [Fact]
    public async Task The_queue_list_writes_a_queue_once_per_instance()
    {
        var queue = "once-" + Guid.NewGuid().ToString("N")[..8];
        _queues.Register(Only, queue);
        await Wait.UntilAsync(async () => await Only.Database.SetContainsAsync(Only.Global.Queues, queue), "the queue was listed");
        await Only.Database.SetRemoveAsync(Only.Global.Queues, queue);

        // Known already: not written again (workers list their queues at every beat; the client does it once).
        _queues.Register(Only, queue);
        await Only.Database.PingAsync();
        Assert.False(await Only.Database.SetContainsAsync(Only.Global.Queues, queue));
        Assert.True(_queues.Contains(Only, queue));
    }

    [Fact]
    public async Task The_enqueuer_sends_many_in_batches_keeping_input_order_and_a_unique_key_returns_the_first_job()
    {
        var enqueuer = Enqueuer(batchSize: 2);
        var handles = await enqueuer.EnqueueManyAsync(Queue, "parts.job", Enumerable.Range(1, 5), JobOptions.Default, CancellationToken.None);

        Assert.Equal(5, handles.Count);
        Assert.Equal(5, handles.Select(h => h.Id).Distinct().Count());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)await FieldAsync(handles[i].Id, JobFields.Payload));
        }

        var first = new JobHandle(Queue, JobIds.New());
        var created = await enqueuer.EnqueueUniqueAsync(first, "parts.job", _codec.Serialize(1), "report:7", TimeSpan.FromMinutes(1), JobOptions.Default, CancellationToken.None);
        var second = await enqueuer.EnqueueUniqueAsync(new JobHandle(Queue, JobIds.New()), "parts.job", _codec.Serialize(2), "report:7", TimeSpan.FromMinutes(1), JobOptions.Default, CancellationToken.None);
        Assert.Equal(new UniqueEnqueue(first, Created: true), created);
        Assert.Equal(new UniqueEnqueue(first, Created: false), second);
    }

    [Fact]
    public void The_enqueuer_refuses_a_malformed_unique_key_or_window_before_anything_is_sent()
    {
        Assert.Throws<ArgumentException>(() => JobEnqueuer.CheckUnique("has space", TimeSpan.FromMinutes(1), _deployment));
        Assert.Throws<ArgumentException>(() => JobEnqueuer.CheckUnique("", TimeSpan.FromMinutes(1), _deployment));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobEnqueuer.CheckUnique("k", TimeSpan.Zero, _deployment));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobEnqueuer.CheckUnique("k", TimeSpan.FromDays(31), _deployment));
        JobEnqueuer.CheckUnique("a.b_c-d:e+f", TimeSpan.FromDays(30), _deployment);
    }

    [Fact]
    public async Task The_records_read_a_queued_job_cancel_it_and_say_missing_for_an_unknown_one()
    {
        var records = new JobRecords(_deployment, _scripts);
        var job = new JobHandle(Queue, JobIds.New());
        var (state, where) = await Enqueuer().EnqueueOneAsync(job, "parts.job", _codec.Serialize(3), JobOptions.Default, null, CancellationToken.None);
        Assert.Equal(("created", Only), (state, where));

        var queued = await records.GetStatusAsync(job, CancellationToken.None);
        Assert.Equal((RedisJobState.Queued, "parts.job", 0), (queued.State, queued.Name, queued.Deliveries));
        Assert.NotNull(queued.CreatedAt);
        Assert.Same(Only, await records.LocateAsync(job, CancellationToken.None));

        Assert.Equal(CancelOutcome.Cancelled, await records.CancelAsync(job, null, CancellationToken.None));
        Assert.Equal(RedisJobState.Cancelled, (await records.GetStatusAsync(job, CancellationToken.None)).State);
        Assert.Equal(0, await Only.Database.ListLengthAsync(Keys.Ready));

        // Cancel is idempotent: again, on the instance the caller names, it says the job is cancelled.
        Assert.Equal(CancelOutcome.Cancelled, await records.CancelAsync(job, Only, CancellationToken.None));

        var unknown = new JobHandle(Queue, JobIds.New());
        Assert.Equal(RedisJobState.Missing, (await records.GetStatusAsync(unknown, CancellationToken.None)).State);
        Assert.Equal(CancelOutcome.Missing, await records.CancelAsync(unknown, null, CancellationToken.None));
    }

    [Fact]
    public async Task The_watch_completes_a_waiter_of_an_ended_job_at_once_adds_itself_to_a_queued_one_and_loses_a_missing_one()
    {
        await using var waiters = new ResultWaiters(_deployment, JobIds.New(), TimeSpan.FromMinutes(5));
        var records = new JobRecords(_deployment, _scripts);
        var watch = new ResultWatch(_deployment, _scripts, waiters, records, _codec);

        var ended = new JobHandle(Queue, JobIds.New());
        await Only.Database.HashSetAsync(Keys.Job(ended.Id), [new HashEntry(JobFields.State, "succeeded"), new HashEntry(JobFields.Result, "42")]);
        var waiter = waiters.Register(ended);
        await watch.WatchAsync(waiter, CancellationToken.None);
        var reply = await waiter.Completion.Task.WaitAsync(TestOptions.Guard);
        Assert.Equal(42, await watch.DecodeAsync<int>(ended, "parts.job", reply, null, CancellationToken.None));
        waiters.Remove(waiter);

        var queued = new JobHandle(Queue, JobIds.New());
        await Enqueuer().EnqueueOneAsync(queued, "parts.job", _codec.Serialize(1), JobOptions.Default, null, CancellationToken.None);
        var pending = waiters.Register(queued);
        await watch.WatchAsync(pending, CancellationToken.None);
        Assert.False(pending.Completion.Task.IsCompleted);
        Assert.Equal(waiters.ChannelName, (string?)await FieldAsync(queued.Id, JobFields.Watchers));
        Assert.Same(Only, pending.Connection);
        waiters.Remove(pending);

        var missing = waiters.Register(new JobHandle(Queue, JobIds.New()));
        await watch.WatchAsync(missing, CancellationToken.None);
        await Assert.ThrowsAsync<JobLostException>(() => missing.Completion.Task);
        waiters.Remove(missing);
    }

    [Fact]
    public async Task A_script_whose_every_reply_is_lost_is_sent_four_times_then_surfaces_as_unavailable_naming_the_job()
    {
        await using var proxy = FaultProxy.Start(redis.Server.Port);
        var options = TestOptions.For(redis.Server) with { Configuration = RedisUrl.Parse(proxy.Url + "?timeout=3000") };
        await using var connection = await RedisConnection.ConnectAsync(options, CancellationToken.None);
        var scripts = new RetryingScripts();
        var keys = connection.Queue(Queue);
        var job = new JobHandle(Queue, JobIds.New());
        RedisValue[] args = [.. EnqueueArgs.Start(keys, 1), .. Job(job.Id, 5).Args];
        Assert.Equal("created", (string?)((RedisResult[])(await scripts.EvaluateAsync(connection, LuaScripts.Enqueue, EnqueueArgs.Keys(keys), args, "enqueue", job, CancellationToken.None))!)[0]);
        Assert.Equal(0, scripts.Retries);

        // Every reply to the script is cut: it runs (idempotently) every time, the client never hears of it.
        proxy.Set(new Toxics { LimitReplyBytes = 0, LimitAfterRequest = "EVALSHA", Role = ConnectionRole.Interactive });
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => scripts.EvaluateAsync(connection, LuaScripts.Enqueue, EnqueueArgs.Keys(keys), args, "enqueue of the part test", job, CancellationToken.None)).WaitAsync(TestOptions.Guard);
        Assert.Equal(job, error.Job);
        Assert.Contains("enqueue of the part test", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, scripts.Retries);
        Assert.True(proxy.Cuts >= 1);

        proxy.Clear();
        await Wait.UntilAsync(async () =>
        {
            try
            {
                return (string?)((RedisResult[])(await scripts.EvaluateAsync(connection, LuaScripts.Enqueue, EnqueueArgs.Keys(keys), args, "enqueue", job, CancellationToken.None))!)[0] == "queued";
            }
            catch (RedisUnavailableException)
            {
                return false;
            }
        }, "the same call answered once the replies flowed again (the job was created once)");
        Assert.Equal(1, await connection.Database.ListLengthAsync(keys.Ready));
    }

    [Fact]
    public async Task A_script_that_meets_a_key_of_the_wrong_type_is_refused_naming_the_key_and_is_not_retried()
    {
        var job = new JobHandle(Queue, JobIds.New());
        await Only.Database.StringSetAsync(Keys.Ready, "not a list");
        RedisValue[] args = [.. EnqueueArgs.Start(Keys, 1), .. Job(job.Id, 5).Args];
        var error = await Assert.ThrowsAsync<RedisKeyTypeException>(() => _scripts.EvaluateAsync(Only, LuaScripts.Enqueue, EnqueueArgs.Keys(Keys), args, "enqueue", job, CancellationToken.None));
        Assert.Equal((string)Keys.Ready!, error.Key);
        Assert.Equal(0, _scripts.Retries);
        Assert.False(await Only.Database.KeyExistsAsync(Keys.Job(job.Id)));
    }

    [Fact]
    public async Task The_replica_wait_does_nothing_when_no_ack_is_asked_and_makes_the_enqueue_indeterminate_when_no_replica_answers()
    {
        var job = new JobHandle(Queue, JobIds.New());
        await ReplicaAckWait.WaitAsync(Only, Keys.Ready, "enqueue", job, CancellationToken.None);

        var options = TestOptions.For(redis.Server).WithReplicaAcks(1, TimeSpan.FromMilliseconds(100));
        await using var connection = await RedisConnection.ConnectAsync(options, CancellationToken.None);
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => ReplicaAckWait.WaitAsync(connection, connection.Queue(Queue).Ready, "enqueue of job x", job, CancellationToken.None));
        Assert.Contains("0 acknowledged within 100 ms", error.Message, StringComparison.Ordinal);
        Assert.Equal(job, error.Job);
    }

    [Fact]
    public void The_codec_refuses_a_payload_over_the_limit_and_round_trips_one_within_it()
    {
        Assert.Equal([1, 2, 3], _codec.Deserialize<int[]>(_codec.Serialize(new[] { 1, 2, 3 })));
        var error = Assert.Throws<JobSerializationException>(() => _codec.Serialize(new string('x', 100)));
        Assert.Contains("over the limit of 64 bytes", error.Message, StringComparison.Ordinal);
    }
}
