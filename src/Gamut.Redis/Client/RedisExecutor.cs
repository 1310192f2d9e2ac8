using System.Globalization;
using System.Text;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
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
public sealed partial class RedisExecutor : IExecutor
{
    private readonly IRedisDeployment _deployment;
    private readonly RedisExecutorOptions _options;
    private readonly ResultWaiters _waiters;
    private readonly HashSet<(RedisConnection, string)> _knownQueues = [];
    private readonly ShutdownGate _shutdown = new();
    private int _disposed;
    private long _retries;

    private RedisExecutor(IRedisDeployment deployment, RedisExecutorOptions options)
    {
        _deployment = deployment;
        _options = options;
        Registry = options.Registry ?? new JobRegistry();
        ClientId = JobIds.New();
        _waiters = new ResultWaiters(deployment, ClientId, options.WaitCheckInterval);
        _waiters.Progress += (job, json) => ProgressReported?.Invoke(job, json);
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
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>On a ring, the jobs awaited here that were lost with an instance removed at once (<c>gamut ring remove --now</c>), by instance.</summary>
    internal IReadOnlyDictionary<string, int> LostWithRemovedInstances => _waiters.LostWithRemovedInstances;

    /// <summary>The queue used when a job's options name none.</summary>
    public string DefaultQueue => _options.Queue;

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
            var payload = Serialize(input);
            var handle = new JobHandle(QueueOf(options), options.Id ?? JobIds.New());
            var waiter = _waiters.Register(handle);
            try
            {
                var (state, where) = await EnqueueOneAsync(handle, job.Name, payload, options, _waiters.ChannelName, cancellationToken).ConfigureAwait(false);
                waiter.Connection = where;
                if (state != "created")
                {
                    // The id existed already (an idempotent re-submit): watch the existing job.
                    await WatchAsync(waiter, cancellationToken).ConfigureAwait(false);
                }

                waiter.Armed = true;
                Reply reply;
                try
                {
                    reply = await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await CancelQuietlyAsync(handle).ConfigureAwait(false);
                    throw;
                }

                return await DecodeAsync<TOut>(handle, job.Name, reply, options.Timeout, cancellationToken).ConfigureAwait(false);
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
        await EnqueueOneAsync(handle, job.Name, Serialize(input), options, null, cancellationToken).ConfigureAwait(false);
        return handle;
    }

    /// <inheritdoc/>
    public void CancelAll()
    {
        foreach (var waiter in _waiters.All)
        {
            _ = CancelQuietlyAsync(waiter.Job);
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
        await _waiters.DisposeAsync().ConfigureAwait(false);
        await _deployment.DisposeAsync().ConfigureAwait(false);
    }

    internal IRedisDeployment Deployment => _deployment;

    private async Task<(string State, RedisConnection Where)> EnqueueOneAsync(JobHandle handle, string name, byte[] payload, JobOptions options, string? watcher, CancellationToken cancellationToken)
    {
        var keys = new QueueKeys(_deployment.Options.KeyPrefix, handle.Queue);
        var args = new List<RedisValue>(12);
        using var send = GamutTelemetry.StartSend("gamut.redis", handle.Queue, name, handle.Id);
        EnqueueArgs.Add(args, handle.Id, name, payload, options, watcher);
        var (_, state, where) = (await SendManyAsync(keys, [new JobArgs(handle.Id, [.. args])], cancellationToken).ConfigureAwait(false))[0];
        if (state == "created")
        {
            await IndexPendingAsync(where, handle.Queue, [handle.Id], cancellationToken).ConfigureAwait(false);
        }

        return (state, where);
    }

    /// <summary>
    /// Every script here is idempotent (enqueue on the job id, cancel and watch by nature), so a call whose reply was
    /// lost to a dropped connection is simply sent again, a few times, before the error surfaces.
    /// </summary>
    /// <exception cref="RedisUnavailableException">Still no answer after the retries: the call is indeterminate.</exception>
    /// <exception cref="RedisFullException">Redis is at its memory limit and refused the (first) write: nothing was written.</exception>
    /// <exception cref="RedisKeyTypeException">A key the script writes has the wrong type: nothing was written.</exception>
    private async Task<RedisResult> EvaluateWithRetryAsync(RedisConnection connection, string script, RedisKey[] keys, RedisValue[] args, string operation, JobHandle? job, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
                var epoch = connection.PrimaryGate?.Epoch ?? 0;
                var reply = await connection.Database.ScriptEvaluateAsync(script, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (connection.PrimaryGate?.Doubtful(epoch) == true)
                {
                    // Under Sentinel, an old primary may have come back while this was sent, and the reply be its:
                    // every script here is idempotent, so it goes again once the primary is confirmed.
                    if (attempt >= 10)
                    {
                        throw new RedisUnavailableException(operation + " (the Sentinel primary kept changing while it was sent)", job, null);
                    }

                    Interlocked.Increment(ref _retries);
                    continue;
                }

                return reply;
            }
            catch (Exception e) when (attempt < 4 && (e is RedisConnectionException or RedisTimeoutException || RedisRefusals.IsTransient(e)))
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(100 * attempt * attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
            {
                throw new RedisUnavailableException(operation, job, e);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal))
            {
                // min-replicas-to-write: the primary refuses writes while too few replicas are attached (before any write).
                throw new RedisUnavailableException(operation + " (the primary has too few replicas attached: min-replicas-to-write)", job, e);
            }
            catch (RedisServerException e) when (RedisRefusals.IsTransient(e))
            {
                // A fail-over in progress (a read-only replica, no primary yet): nothing was written.
                throw new RedisUnavailableException(operation + " (Redis could not take writes: a fail-over in progress?)", job, e);
            }
            catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
            {
                // The script found a key of the wrong type before its first write: nothing was written.
                throw wrongType;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
            {
                // A script's first write that would grow memory is refused before anything is written (Redis never
                // leaves a script half-done for OOM), so the refusal is clean.
                throw new RedisFullException(operation, job, e);
            }
        }
    }

    private async Task RegisterQueueAsync(RedisConnection where, string queue)
    {
        lock (_knownQueues)
        {
            if (!_knownQueues.Add((where, queue)))
            {
                return;
            }
        }

        await where.Database.SetAddAsync(where.Global.Queues, queue, CommandFlags.FireAndForget).ConfigureAwait(false);
    }

    private byte[] Serialize<T>(T input)
    {
        var payload = _options.Serializer.SerializeToArray(input);
        if (payload.Length > _deployment.Options.MaxPayloadBytes)
        {
            throw new JobSerializationException($"The payload is {payload.Length} bytes, over the limit of {_deployment.Options.MaxPayloadBytes} bytes");
        }

        return payload;
    }

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
