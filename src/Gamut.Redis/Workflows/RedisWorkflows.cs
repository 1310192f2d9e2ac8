using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Workflows;

/// <summary>
/// Runs workflows (<see cref="Workflow"/>) on Redis through a <see cref="RedisExecutor"/>: start one, wait for its
/// final result, read its state, cancel it. Get it as <see cref="RedisExecutor.Workflows"/>.
/// <code>
/// var chord = Workflow.Chord(Workflow.Group(Enumerable.Range(1, 100).Select(i => Workflow.Job(square, i))), sum);
/// int total = await redis.Workflows.RunAsync(chord, cancellationToken: ct);
/// </code>
/// </summary>
/// <remarks>
/// A workflow's state is a hash in Redis, changed only by scripts: the script that records a job's outcome also
/// enqueues what comes next (the next step of a chain, a chord's callback once the last member ended), so a worker
/// killed in between neither loses nor doubles a step. A workflow and all its jobs live on one queue (one Redis
/// Cluster slot). Workflows are not available on a ring of instances (<see cref="NotSupportedException"/>).
/// </remarks>
public sealed class RedisWorkflows
{
    private readonly RedisExecutor _executor;

    internal RedisWorkflows(RedisExecutor executor) => _executor = executor;

    /// <summary>Starts a workflow and returns at once; its result stays in Redis for the result TTL after it ended.</summary>
    /// <typeparam name="TOut">What the workflow produces.</typeparam>
    /// <param name="workflow">The workflow.</param>
    /// <param name="options">Its id (idempotency key) and queue.</param>
    /// <param name="cancellationToken">Stops the start (it may or may not have happened: start again with the same id).</param>
    /// <exception cref="ArgumentException">A malformed id or queue, or a workflow that mixes failure policies.</exception>
    /// <exception cref="JobSerializationException">An input did not serialize or is too large.</exception>
    /// <exception cref="RedisUnavailableException">Redis did not confirm the start: start again with the same id.</exception>
    public async Task<WorkflowHandle> StartAsync<TOut>(WorkflowStep<TOut> workflow, WorkflowOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (handle, _) = await StartCoreAsync(workflow, options, watch: false, cancellationToken).ConfigureAwait(false);
        return handle;
    }

    /// <summary>Starts a workflow and waits for its final result. Cancelling the token cancels the workflow.</summary>
    /// <typeparam name="TOut">What the workflow produces.</typeparam>
    /// <param name="workflow">The workflow.</param>
    /// <param name="options">Its id and queue.</param>
    /// <param name="cancellationToken">Cancels the workflow (its jobs that have not started) and the wait.</param>
    /// <returns>The result of its last step.</returns>
    /// <exception cref="JobFailedException">A job failed and the workflow stopped (its error), or its last step failed.</exception>
    /// <exception cref="JobDeadLetteredException">A job was dead-lettered and the workflow stopped.</exception>
    /// <exception cref="OperationCanceledException">The workflow was cancelled.</exception>
    /// <exception cref="JobLostException">The workflow's state vanished from Redis.</exception>
    public async Task<TOut> RunAsync<TOut>(WorkflowStep<TOut> workflow, WorkflowOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (handle, waiter) = await StartCoreAsync(workflow, options, watch: true, cancellationToken).ConfigureAwait(false);
        try
        {
            return await AwaitAsync<TOut>(handle, waiter!, cancelOnStop: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _executor.Waiters.Remove(waiter!);
        }
    }

    /// <summary>Waits for a started workflow's final result (also one another client started).</summary>
    /// <typeparam name="TOut">What the workflow produces.</typeparam>
    /// <param name="workflow">The workflow.</param>
    /// <param name="cancellationToken">Stops waiting (the workflow goes on).</param>
    /// <exception cref="JobLostException">No such workflow (or its state expired).</exception>
    public async Task<TOut> WaitAsync<TOut>(WorkflowHandle workflow, CancellationToken cancellationToken = default)
    {
        var connection = Connection();
        var waiter = Register(workflow, connection);
        try
        {
            await RecheckAsync(waiter, cancellationToken).ConfigureAwait(false);
            return await AwaitAsync<TOut>(workflow, waiter, cancelOnStop: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _executor.Waiters.Remove(waiter);
        }
    }

    /// <summary>
    /// Cancels a running workflow: its jobs that have not started are cancelled, nothing after them starts, and its
    /// waiters get <see cref="OperationCanceledException"/>. Jobs already running are asked to stop (like <see cref="RedisExecutor.CancelAsync(JobHandle, CancellationToken)"/>).
    /// </summary>
    /// <param name="workflow">The workflow.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns><c>cancelled</c>; the state of a workflow that had already ended; or <c>missing</c>.</returns>
    public async Task<string> CancelAsync(WorkflowHandle workflow, CancellationToken cancellationToken = default)
    {
        var connection = Connection();
        var keys = connection.Queue(workflow.Queue);
        var reply = await _executor.EvaluateAsync(connection, LuaScripts.WorkflowCancel,
            [keys.Workflow(workflow.Id), keys.Delayed, keys.Stats, keys.Workflows],
            [keys.JobPrefix, workflow.Id, workflow.Queue, (long)connection.Options.ResultTtl.TotalMilliseconds],
            $"cancel of workflow {workflow.Id} on queue '{workflow.Queue}'", cancellationToken).ConfigureAwait(false);
        return (string)reply!;
    }

    /// <summary>Reads a workflow's state; null when there is no such workflow (or its state expired).</summary>
    /// <param name="workflow">The workflow.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public Task<WorkflowStatus?> GetStatusAsync(WorkflowHandle workflow, CancellationToken cancellationToken = default)
    {
        var connection = Connection();
        return ReadStatusAsync(connection.Database, connection.Queue(workflow.Queue).Workflow(workflow.Id), cancellationToken);
    }

    /// <summary>Reads a workflow hash's state (also for <c>gamut status</c>).</summary>
    internal static async Task<WorkflowStatus?> ReadStatusAsync(IDatabaseAsync db, RedisKey key, CancellationToken cancellationToken)
    {
        var f = await db.HashGetAsync(key, ["s", "pol", "jobs", "ok", "ko", "c", "fin", "e"]).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (f[0].IsNull)
        {
            return null;
        }

        static int Int(RedisValue v) => v.IsNull ? 0 : (int)v;
        return new WorkflowStatus((string)f[0]!, (string?)f[1] ?? "stop", Int(f[2]), Int(f[3]), Int(f[4]),
            DateTimeOffset.FromUnixTimeMilliseconds(f[5].IsNull ? 0 : (long)f[5]),
            f[6].IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)f[6]), (string?)f[7]);
    }

    private async Task<(WorkflowHandle, ResultWaiters.Waiter?)> StartCoreAsync<TOut>(WorkflowStep<TOut> workflow, WorkflowOptions? options, bool watch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        options ??= WorkflowOptions.Default;
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var connection = Connection();
        var queue = _executor.QueueFor(options.Queue);
        var handle = new WorkflowHandle(queue, options.Id ?? JobIds.New());
        var plan = WorkflowPlan.Of(workflow.Node, _executor.Serializer, connection.Options.MaxPayloadBytes);
        var keys = connection.Queue(queue);
        var waiter = watch ? Register(handle, connection) : null;
        _executor.EnterCall();
        try
        {
            var args = new List<RedisValue>(9 + plan.Pairs.Count)
            {
                keys.JobPrefix, handle.Id, keys.WakeChannel.ToString(), queue, plan.Policy,
                watch ? _executor.Waiters.ChannelName : "", plan.Nodes, plan.Jobs, plan.Pairs.Count / 2,
            };
            args.AddRange(plan.Pairs);
            var state = (string)(await _executor.EvaluateAsync(connection, LuaScripts.WorkflowStart,
                [keys.Workflow(handle.Id), keys.Ready, keys.Delayed, keys.Stats, keys.Workflows], [.. args],
                $"start of workflow {handle.Id} on queue '{queue}'", cancellationToken).ConfigureAwait(false))!;
            _executor.RegisterQueueOn(connection, queue);
            if (waiter is not null)
            {
                if (state != "created")
                {
                    // The id existed (a repeated start): follow the existing workflow.
                    await RecheckAsync(waiter, cancellationToken).ConfigureAwait(false);
                }

                waiter.Armed = true;
            }

            return (handle, waiter);
        }
        catch
        {
            if (waiter is not null)
            {
                _executor.Waiters.Remove(waiter);
            }

            throw;
        }
        finally
        {
            _executor.ExitCall();
        }
    }

    private ResultWaiters.Waiter Register(WorkflowHandle workflow, RedisConnection connection)
    {
        var waiter = _executor.Waiters.Register(new JobHandle(workflow.Queue, workflow.Id));
        waiter.Record = connection.Queue(workflow.Queue).Workflow(workflow.Id);
        waiter.Connection = connection;
        return waiter;
    }

    private async Task RecheckAsync(ResultWaiters.Waiter waiter, CancellationToken cancellationToken)
    {
        waiter.Armed = true;
        await _executor.Waiters.RecheckAsync([waiter], cancellationToken).ConfigureAwait(false);
    }

    private async Task<TOut> AwaitAsync<TOut>(WorkflowHandle handle, ResultWaiters.Waiter waiter, bool cancelOnStop, CancellationToken cancellationToken)
    {
        Reply reply;
        try
        {
            reply = await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && cancelOnStop)
        {
            try
            {
                await CancelAsync(handle, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or RedisUnavailableException or ObjectDisposedException)
            {
                // Best effort: the caller stopped waiting either way.
            }

            throw;
        }

        var body = reply.Body;
        switch (reply.Kind)
        {
            case "done":
                var stored = await Connection().Database.HashGetAsync(waiter.Record!.Value, "r").WaitAsync(cancellationToken).ConfigureAwait(false);
                if (stored.IsNull)
                {
                    throw new JobLostException(handle.Queue, handle.Id);
                }

                body = (byte[])stored!;
                goto case "succeeded";
            case "succeeded":
                return _executor.Serializer.Deserialize<TOut>(body.Span);
            default:
                throw reply.ToException(new JobHandle(handle.Queue, handle.Id), "workflow " + handle.Id, null);
        }
    }

    private RedisConnection Connection()
    {
        var deployment = _executor.Deployment;
        if (deployment.Ring is not null)
        {
            throw new NotSupportedException("Workflows need their state and jobs on one Redis: they are not available on a ring of instances");
        }

        return deployment.Instances[0];
    }
}
