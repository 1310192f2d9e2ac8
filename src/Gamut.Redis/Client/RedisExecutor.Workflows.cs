using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Workflows;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>What the workflow client (<see cref="RedisWorkflows"/>) uses of the executor: its connection, serializer and waiters.</summary>
public sealed partial class RedisExecutor
{
    private RedisWorkflows? _workflows;

    /// <summary>Chains, groups and chords of this executor's jobs (<see cref="Workflow"/>).</summary>
    public RedisWorkflows Workflows => _workflows ??= new RedisWorkflows(this);

    internal IJobSerializer Serializer => _options.Serializer;

    internal ResultWaiters Waiters => _waiters;

    internal string QueueFor(string? queue) => QueueOf(JobOptions.Default with { Queue = queue });

    internal void EnterCall() => Enter();

    internal void ExitCall() => Exit();

    internal Task<RedisResult> EvaluateAsync(RedisConnection connection, string script, RedisKey[] keys, RedisValue[] args, string operation, CancellationToken cancellationToken) =>
        EvaluateWithRetryAsync(connection, script, keys, args, operation, null, cancellationToken);

    internal Task RegisterQueueOnAsync(RedisConnection where, string queue) => RegisterQueueAsync(where, queue);
}
