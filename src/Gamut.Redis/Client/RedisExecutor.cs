using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Client.Engine;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Workflows;
using StackExchange.Redis;
using ShutdownMode = Gamut.Executors.ShutdownMode;

namespace Gamut.Redis;

/// <summary>
/// The distributed executor: registered jobs go onto Redis queues, workers anywhere run them
/// (<see cref="RedisWorker"/>), results come back. Submit and wait, map many, enqueue and forget (also in
/// batches), read a job's status, cancel a queued or running job.
/// <code>
/// await using var redis = await RedisExecutor.ConnectAsync(RedisOptions.FromUrl("redis://127.0.0.1:6379"));
/// var area = await redis.SubmitAsync(JobRef.Named&lt;double, double&gt;("geometry.circle-area"), 2.0);
/// </code>
/// </summary>
/// <remarks>
/// Delivery is at-least-once: a job whose worker dies runs again elsewhere; the first recorded result wins and
/// later ones are counted as duplicates. Enqueue is idempotent on the job id (<see cref="JobOptions.Id"/>), so an
/// enqueue whose reply was lost can be retried with the same id without creating a second job. An enqueue (or a
/// submit's enqueue) that Redis did not confirm ends with <see cref="RedisUnavailableException"/> (indeterminate:
/// retry with the same id); one refused by a full Redis with <see cref="RedisFullException"/> (nothing written).
/// </remarks>
public sealed class RedisExecutor : IExecutor
{
    /// <summary>The longest window of a unique job.</summary>
    public static readonly TimeSpan MaxUniqueWindow = TimeSpan.FromDays(30);

    // The executor composes stand-alone parts (Client/Engine): the scripts part retries idempotent calls, the router
    // sends enqueues where jobs go, the enqueuer builds them, the records part finds, reads and cancels jobs, and the
    // watch follows the jobs awaited here through the waiters.
    private readonly IRedisDeployment _deployment;
    private readonly RedisExecutorOptions _options;
    private readonly RetryingScripts _scripts = new();
    private readonly KnownQueues _queues = new();
    private readonly PayloadCodec _codec;
    private readonly JobRouter _router;
    private readonly JobEnqueuer _enqueuer;
    private readonly JobRecords _records;
    private readonly ResultWaiters _waiters;
    private readonly ResultWatch _watch;
    private readonly ShutdownGate _shutdown = new();
    private RedisWorkflows? _workflows;
    private int _disposed;

    private RedisExecutor(IRedisDeployment deployment, RedisExecutorOptions options)
    {
        _deployment = deployment;
        _options = options;
        Registry = options.Registry ?? new JobRegistry();
        ClientId = JobIds.New();
        _codec = new PayloadCodec(options.Serializer, deployment.Options.MaxPayloadBytes);
        _router = new JobRouter(deployment, _scripts, _queues);
        _enqueuer = new JobEnqueuer(deployment.Options.KeyPrefix, _router, _codec, options.EnqueueBatchSize);
        _records = new JobRecords(deployment, _scripts);
        _waiters = new ResultWaiters(deployment, ClientId, options.WaitCheckInterval);
        _waiters.Progress += (job, json) => ProgressReported?.Invoke(job, json);
        _watch = new ResultWatch(deployment, _scripts, _waiters, _records, _codec);
    }

    /// <summary>
    /// Connects to Redis (checking the server as <see cref="RedisOptions"/> asks) and returns the executor. Several
    /// instances (<see cref="RedisOptions.Instances"/>) are a Redis Cluster's nodes, or a ring: jobs are then spread
    /// over its members by their ids, and go to the next live member when one does not answer (docs/ring.md).
    /// </summary>
    /// <param name="options">Where Redis is and how Gamut uses it.</param>
    /// <param name="executorOptions">Default queue, serializer, windows.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="RedisStartupException">Redis is unreachable, refused the credentials or TLS, or is unsafe to use.</exception>
    public static async Task<RedisExecutor> ConnectAsync(RedisOptions options, RedisExecutorOptions? executorOptions = null, CancellationToken cancellationToken = default)
    {
        executorOptions ??= new RedisExecutorOptions();
        executorOptions.Validate();
        var deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return await StartAsync(deployment, executorOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uses a multiplexer the caller owns (and disposes after this executor).</summary>
    /// <param name="multiplexer">The connection.</param>
    /// <param name="options">How Gamut uses Redis (its <see cref="RedisOptions.Configuration"/> is ignored).</param>
    /// <param name="executorOptions">Default queue, serializer, windows.</param>
    /// <param name="cancellationToken">Stops the start-up checks.</param>
    public static async Task<RedisExecutor> ConnectAsync(IConnectionMultiplexer multiplexer, RedisOptions options, RedisExecutorOptions? executorOptions = null, CancellationToken cancellationToken = default)
    {
        executorOptions ??= new RedisExecutorOptions();
        executorOptions.Validate();
        var connection = await RedisConnection.WrapAsync(multiplexer, options, cancellationToken).ConfigureAwait(false);
        return await StartAsync(new SingleDeployment(connection), executorOptions, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<RedisExecutor> StartAsync(IRedisDeployment deployment, RedisExecutorOptions options, CancellationToken cancellationToken)
    {
        var executor = new RedisExecutor(deployment, options);
        try
        {
            await executor._waiters.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A wrapped multiplexer belongs to the caller: its connection's disposal leaves it open.
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return executor;
    }

    /// <inheritdoc/>
    public JobRegistry Registry { get; }

    /// <summary>This client's id (its reply channel is named after it).</summary>
    public string ClientId { get; }

    /// <summary>
    /// Calls to Redis this client sent again because no reply came (a timeout or a broken connection). Each such call
    /// was indeterminate, and is safe to repeat: enqueue is idempotent on the job id, cancel and watch by nature.
    /// </summary>
    public long Retries => _scripts.Retries;

    /// <summary>
    /// On a ring, jobs this client placed on another member than the one their id hashes to, because that one did
    /// not answer (the enqueue never reached it). Zero outside a ring.
    /// </summary>
    public long Rerouted => _router.Rerouted;

    /// <summary>The queue used when a job's options name none.</summary>
    public string DefaultQueue => _options.Queue;

    /// <summary>Chains, groups and chords of this executor's jobs (<see cref="Workflow"/>).</summary>
    public RedisWorkflows Workflows => _workflows ??= new RedisWorkflows(this);

    /// <summary>Raised with a job and its progress JSON (<c>{"fraction":…,"message":…}</c>) when a job this client waits for reports progress.</summary>
    public event Action<JobHandle, string>? ProgressReported;

    /// <inheritdoc/>
    public async Task<TOut> SubmitAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= JobOptions.Default;
        options.Validate();
        Enter();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var payload = _codec.Serialize(input);
            var handle = new JobHandle(QueueOf(options), options.Id ?? JobIds.New());
            var waiter = _waiters.Register(handle);
            try
            {
                var (state, where) = await _enqueuer.EnqueueOneAsync(handle, job.Name, payload, options, _waiters.ChannelName, cancellationToken).ConfigureAwait(false);
                waiter.Connection = where;
                if (state != "created")
                {
                    // The id existed already (an idempotent re-submit): watch the existing job.
                    await _watch.WatchAsync(waiter, cancellationToken).ConfigureAwait(false);
                }

                waiter.Armed = true;
                Reply reply;
                try
                {
                    reply = await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await _watch.CancelQuietlyAsync(handle).ConfigureAwait(false);
                    throw;
                }

                return await _watch.DecodeAsync<TOut>(handle, job.Name, reply, options.Timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _waiters.Remove(waiter);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= MapOptions.Default;
        options.Validate();
        var jobOptions = options.Job with { Id = null };
        return MapRunner.RunAsync(
            inputs,
            (input, _, token) => SubmitAsync(job, input, jobOptions, token),
            options.MaxInFlight ?? _options.MapWindow,
            options.Ordered,
            cancellationToken);
    }

    /// <summary>Enqueues a job and returns at once (fire and forget); its result stays in Redis for the result TTL.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="options">Id (idempotency key), queue, delay, timeout, retries.</param>
    /// <param name="cancellationToken">Stops the enqueue (it may or may not have happened; retry with the same id).</param>
    /// <exception cref="RedisUnavailableException">Redis did not confirm the enqueue in time: retry with the same id.</exception>
    /// <exception cref="RedisFullException">Redis is at its memory limit: no job was created.</exception>
    public async Task<JobHandle> EnqueueAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= JobOptions.Default;
        options.Validate();
        ThrowIfClosed();
        var handle = new JobHandle(QueueOf(options), options.Id ?? JobIds.New());
        await _enqueuer.EnqueueOneAsync(handle, job.Name, _codec.Serialize(input), options, null, cancellationToken).ConfigureAwait(false);
        return handle;
    }

    /// <summary>Enqueues a job to run no earlier than <paramref name="runAt"/> (a scheduled job; at once when that time has passed).</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="runAt">When it becomes ready (Redis' clock decides).</param>
    /// <param name="options">Id, queue, timeout, retries.</param>
    /// <param name="cancellationToken">Stops the enqueue.</param>
    public Task<JobHandle> ScheduleAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, DateTimeOffset runAt, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        var delay = runAt - DateTimeOffset.UtcNow;
        if (delay > TimeSpan.FromDays(3650))
        {
            throw new ArgumentOutOfRangeException(nameof(runAt), runAt, "A job can be scheduled at most ten years ahead.");
        }

        return EnqueueAsync(job, input, (options ?? JobOptions.Default) with { Delay = delay > TimeSpan.Zero ? delay : null }, cancellationToken);
    }

    /// <summary>
    /// Enqueues many jobs in few round trips (batches of <see cref="RedisExecutorOptions.EnqueueBatchSize"/> per script
    /// call, pipelined). Each job gets a new id; the options' id is ignored.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="options">Queue, delay, timeout, retries for every job.</param>
    /// <param name="cancellationToken">Stops enqueueing.</param>
    /// <returns>The handles, in input order.</returns>
    public async Task<IReadOnlyList<JobHandle>> EnqueueManyAsync<TIn, TOut>(JobRef<TIn, TOut> job, IEnumerable<TIn> inputs, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options = (options ?? JobOptions.Default) with { Id = null };
        options.Validate();
        ThrowIfClosed();
        return await _enqueuer.EnqueueManyAsync(QueueOf(options), job.Name, inputs, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Enqueues a job unless one with the same <paramref name="uniqueKey"/> was enqueued on the same queue within
    /// <paramref name="window"/> and still has its record: then nothing is created and that job is returned. The check
    /// and the creation are one script, so two producers racing on a key create one job.
    /// <code>
    /// var sent = await redis.EnqueueUniqueAsync(sendReport, customerId, "report:" + customerId, TimeSpan.FromMinutes(10));
    /// if (!sent.Created) Console.WriteLine($"already queued as {sent.Job.Id}");
    /// </code>
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="uniqueKey">The key: 1–200 of <c>A–Z a–z 0–9 . _ - : +</c>, per queue.</param>
    /// <param name="window">How long the key holds, from the enqueue that created the job (1 ms to 30 days).</param>
    /// <param name="options">Id, queue, delay, timeout, retries, as for <see cref="EnqueueAsync{TIn, TOut}"/>.</param>
    /// <param name="cancellationToken">Stops the enqueue (it may or may not have happened: retry with the same id and key).</param>
    /// <exception cref="ArgumentException">A malformed key, or a window out of range.</exception>
    /// <exception cref="NotSupportedException">On a ring of instances (a key is not routed to one instance).</exception>
    /// <exception cref="RedisUnavailableException">Redis did not confirm the enqueue: retry with the same id.</exception>
    public async Task<UniqueEnqueue> EnqueueUniqueAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, string uniqueKey, TimeSpan window, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        JobEnqueuer.CheckUnique(uniqueKey, window, _deployment);
        options ??= JobOptions.Default;
        options.Validate();
        ThrowIfClosed();
        var handle = new JobHandle(QueueOf(options), options.Id ?? JobIds.New());
        return await _enqueuer.EnqueueUniqueAsync(handle, job.Name, _codec.Serialize(input), uniqueKey, window, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a job's result (one enqueued earlier, by this client or another).</summary>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops waiting (the job is not cancelled).</param>
    /// <exception cref="JobLostException">The job has no record (Redis lost it, or it expired).</exception>
    public async Task<TOut> WaitAsync<TOut>(JobHandle job, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var waiter = _waiters.Register(job);
        try
        {
            await _watch.WatchAsync(waiter, cancellationToken).ConfigureAwait(false);
            waiter.Armed = true;
            var reply = await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            var status = reply.Kind is "failed" ? await GetStatusAsync(job, cancellationToken).ConfigureAwait(false) : null;
            return await _watch.DecodeAsync<TOut>(job, status?.Name ?? "job", reply, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiters.Remove(waiter);
        }
    }

    /// <summary>Reads a job's record.</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public Task<RedisJobStatus> GetStatusAsync(JobHandle job, CancellationToken cancellationToken = default) =>
        _records.GetStatusAsync(job, cancellationToken);

    /// <summary>Cancels a job: a queued or delayed one at once, a running one by telling its worker (which cancels the job's token, or stops its process).</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="RedisUnavailableException">On a ring, the job is on no instance that answers (it may be on one that does not).</exception>
    public Task<CancelOutcome> CancelAsync(JobHandle job, CancellationToken cancellationToken = default) =>
        _records.CancelAsync(job, _waiters.Find(job)?.Connection, cancellationToken);

    /// <inheritdoc/>
    public void CancelAll()
    {
        foreach (var waiter in _waiters.All)
        {
            _ = _watch.CancelQuietlyAsync(waiter.Job);
            waiter.Completion.TrySetException(new OperationCanceledException($"Job {waiter.Job.Id} was cancelled by CancelAll"));
        }
    }

    /// <inheritdoc/>
    public Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Drain, CancellationToken cancellationToken = default) =>
        _shutdown.ShutdownAsync(mode, CancelAll, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A second call does nothing (a DI container may hold the same client under several service types).</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await ShutdownAsync(ShutdownMode.Immediate).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _queues.FlushAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _waiters.DisposeAsync().ConfigureAwait(false);
        await _deployment.DisposeAsync().ConfigureAwait(false);
    }

    // What the workflow client (RedisWorkflows), the CLI and tests use of the executor.
    internal IRedisDeployment Deployment => _deployment;

    /// <summary>On a ring, the jobs awaited here that were lost with an instance removed at once (<c>gamut ring remove --now</c>), by instance.</summary>
    internal IReadOnlyDictionary<string, int> LostWithRemovedInstances => _waiters.LostWithRemovedInstances;

    internal IJobSerializer Serializer => _options.Serializer;

    internal ResultWaiters Waiters => _waiters;

    internal string QueueFor(string? queue) => QueueOf(JobOptions.Default with { Queue = queue });

    internal void EnterCall() => Enter();

    internal void ExitCall() => Exit();

    internal Task<RedisResult> EvaluateAsync(RedisConnection connection, string script, RedisKey[] keys, RedisValue[] args, string operation, CancellationToken cancellationToken) =>
        _scripts.EvaluateAsync(connection, script, keys, args, operation, null, cancellationToken);

    internal void RegisterQueueOn(RedisConnection where, string queue) => _queues.Register(where, queue);

    private string QueueOf(JobOptions options)
    {
        var queue = options.Queue ?? _options.Queue;
        KeyNames.ValidateQueue(queue);
        return queue;
    }

    private void ThrowIfClosed()
    {
        if (_shutdown.IsClosed)
        {
            throw new ExecutorClosedException("redis");
        }
    }

    private void Enter()
    {
        if (!_shutdown.TryEnter())
        {
            throw new ExecutorClosedException("redis");
        }
    }

    private void Exit() => _shutdown.Exit();
}
