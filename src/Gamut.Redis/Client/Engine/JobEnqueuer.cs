using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Turns jobs into enqueue calls: one job (with the client's reply channel when it waits), many jobs in batches
/// pipelined a few calls deep, or a unique job (a key and a window). Where they go is the router's business.
/// </summary>
internal sealed class JobEnqueuer(string keyPrefix, JobRouter router, PayloadCodec codec, int batchSize)
{
    /// <summary>Batched calls in flight at once for one <see cref="EnqueueManyAsync{TIn}"/>.</summary>
    public const int PipelineDepth = 8;

    /// <summary>
    /// Enqueues one job; returns <c>created</c> (or the state of the job that had its id) and the instance that holds
    /// it. <paramref name="watcher"/> is the reply channel told when the job ends, or null.
    /// </summary>
    public async Task<(string State, RedisConnection Where)> EnqueueOneAsync(JobHandle handle, string name, byte[] payload, JobOptions options, string? watcher, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(12);
        using var send = GamutTelemetry.StartSend("gamut.redis", handle.Queue, name, handle.Id);
        EnqueueArgs.Add(args, handle.Id, name, payload, options, watcher);
        var sent = await router.SendAndIndexAsync(Keys(handle.Queue), [new JobArgs(handle.Id, [.. args])], cancellationToken).ConfigureAwait(false);
        return (sent[0].State, sent[0].Where);
    }

    /// <summary>Enqueues many jobs of one name, each with a new id, in batches; returns their handles in input order.</summary>
    public async Task<IReadOnlyList<JobHandle>> EnqueueManyAsync<TIn>(string queue, string name, IEnumerable<TIn> inputs, JobOptions options, CancellationToken cancellationToken)
    {
        var keys = Keys(queue);
        var handles = new List<JobHandle>();
        var pending = new List<Task>();
        using var send = GamutTelemetry.StartSend("gamut.redis", queue, name, null);
        foreach (var chunk in inputs.Chunk(batchSize))
        {
            var jobs = new List<JobArgs>(chunk.Length);
            foreach (var input in chunk)
            {
                var id = JobIds.New();
                var args = new List<RedisValue>(8);
                EnqueueArgs.Add(args, id, name, codec.Serialize(input), options, null);
                jobs.Add(new JobArgs(id, [.. args]));
                handles.Add(new JobHandle(queue, id));
            }

            pending.Add(router.SendAndIndexAsync(keys, jobs, cancellationToken));
            if (pending.Count >= PipelineDepth)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        return handles;
    }

    /// <summary>Checks a unique job's key and window, and that the deployment can keep a key (one Redis, not a ring).</summary>
    /// <exception cref="ArgumentException">A malformed key, or a window out of range.</exception>
    /// <exception cref="NotSupportedException">On a ring of instances.</exception>
    public static void CheckUnique(string uniqueKey, TimeSpan window, IRedisDeployment deployment)
    {
        if (uniqueKey is null || uniqueKey.Length is 0 or > 200 || !uniqueKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '+'))
        {
            throw new ArgumentException($"The unique key '{uniqueKey}' is not 1-200 of A-Z a-z 0-9 . _ - : +", nameof(uniqueKey));
        }

        if (window < TimeSpan.FromMilliseconds(1) || window > RedisExecutor.MaxUniqueWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "A unique job's window is 1 ms to 30 days");
        }

        if (deployment.Ring is not null)
        {
            throw new NotSupportedException("Unique jobs need one Redis for a key: they are not available on a ring of instances");
        }
    }

    /// <summary>
    /// Enqueues a job unless one with the same key was enqueued on its queue within the window and still has its
    /// record; then that job is returned, not created. The check and the creation are one script.
    /// </summary>
    public async Task<UniqueEnqueue> EnqueueUniqueAsync(JobHandle handle, string name, byte[] payload, string uniqueKey, TimeSpan window, JobOptions options, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(16);
        EnqueueArgs.Add(args, handle.Id, name, payload, options, null,
            [("uq", uniqueKey), ("uw", Math.Max(1, (long)window.TotalMilliseconds))]);
        var state = (await router.SendAsync(Keys(handle.Queue), [new JobArgs(handle.Id, [.. args])], cancellationToken).ConfigureAwait(false))[0].State;
        return state.StartsWith('=')
            ? new UniqueEnqueue(new JobHandle(handle.Queue, state[1..]), Created: false)
            : new UniqueEnqueue(handle, Created: state == "created");
    }

    private QueueKeys Keys(string queue) => new(keyPrefix, queue);
}
