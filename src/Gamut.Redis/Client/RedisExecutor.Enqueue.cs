using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Scheduled and batched enqueue.</summary>
public sealed partial class RedisExecutor
{
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
        options ??= JobOptions.Default;
        options = options with { Id = null };
        options.Validate();
        ThrowIfClosed();
        var queue = QueueOf(options);
        var keys = new QueueKeys(_deployment.Options.KeyPrefix, queue);
        var handles = new List<JobHandle>();
        var pending = new List<Task>();
        using var send = GamutTelemetry.StartSend("gamut.redis", queue, job.Name, null);
        foreach (var chunk in inputs.Chunk(_options.EnqueueBatchSize))
        {
            var jobs = new List<JobArgs>(chunk.Length);
            foreach (var input in chunk)
            {
                var id = JobIds.New();
                var args = new List<RedisValue>(8);
                EnqueueArgs.Add(args, id, job.Name, Serialize(input), options, null);
                jobs.Add(new JobArgs(id, [.. args]));
                handles.Add(new JobHandle(queue, id));
            }

            pending.Add(SendAndIndexAsync(keys, jobs, cancellationToken));
            if (pending.Count >= 8)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        return handles;
    }

    private async Task SendAndIndexAsync(QueueKeys keys, List<JobArgs> jobs, CancellationToken cancellationToken)
    {
        var sent = await SendManyAsync(keys, jobs, cancellationToken).ConfigureAwait(false);
        foreach (var group in sent.Where(r => r.State == "created").GroupBy(r => r.Where))
        {
            await IndexPendingAsync(group.Key, keys.Queue, [.. group.Select(r => r.Id)], cancellationToken).ConfigureAwait(false);
        }
    }
}
