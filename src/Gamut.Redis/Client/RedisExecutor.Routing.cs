using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Ring;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Where jobs go: the one Redis, or on a ring the member their id hashes to, falling over to the next live one.</summary>
public sealed partial class RedisExecutor
{
    private long _rerouted;

    /// <summary>
    /// On a ring, jobs this client placed on another member than the one their id hashes to, because that one did
    /// not answer (the enqueue never reached it). Zero outside a ring.
    /// </summary>
    public long Rerouted => Interlocked.Read(ref _rerouted);

    /// <summary>One job's part of the enqueue script's arguments.</summary>
    private readonly record struct JobArgs(string Id, RedisValue[] Args);

    /// <summary>
    /// Enqueues jobs; returns each one's outcome (<c>created</c> or the state of the job that had its id) and the
    /// instance that holds it. On a ring, a job whose enqueue certainly never reached an instance (no connection)
    /// goes to the next live member; one whose reply was lost (the instance may have taken it) is retried on the same
    /// instance only, for up to <see cref="RingOptions.IndeterminateWait"/>: moving it could make two jobs of one.
    /// </summary>
    private async Task<List<(string Id, string State, RedisConnection Where)>> SendManyAsync(QueueKeys keys, IReadOnlyList<JobArgs> jobs, CancellationToken cancellationToken)
    {
        var results = new List<(string, string, RedisConnection)>(jobs.Count);
        if (_deployment.Ring is not { } ring)
        {
            var only = _deployment.Instances[0];
            var operation = jobs.Count == 1 ? $"enqueue of job {jobs[0].Id} on queue '{keys.Queue}'" : $"enqueue of {jobs.Count} jobs on queue '{keys.Queue}'";
            var reply = (RedisResult[])(await EvaluateWithRetryAsync(only, LuaScripts.Enqueue, EnqueueArgs.Keys(keys), Arguments(keys, jobs), operation, jobs.Count == 1 ? new JobHandle(keys.Queue, jobs[0].Id) : null, cancellationToken).ConfigureAwait(false))!;
            await WaitForReplicasAsync(only, keys.Ready, operation, jobs.Count == 1 ? new JobHandle(keys.Queue, jobs[0].Id) : null, cancellationToken).ConfigureAwait(false);
            await RegisterQueueAsync(only, keys.Queue).ConfigureAwait(false);
            for (var i = 0; i < jobs.Count; i++)
            {
                results.Add((jobs[i].Id, (string)reply[i]!, only));
            }

            return results;
        }

        RedisKey[] ringKeys = [.. EnqueueArgs.Keys(keys), RingStore.Key(_deployment.Options.KeyPrefix)];
        var started = Environment.TickCount64;
        var pending = jobs.ToList();
        Exception? last = null;
        for (var round = 1; pending.Count > 0; round++)
        {
            var groups = new Dictionary<RedisConnection, List<JobArgs>>();
            var homeless = new List<JobArgs>();
            foreach (var job in pending)
            {
                if (ring.CandidatesFor(job.Id) is [var first, ..])
                {
                    (groups.TryGetValue(first, out var list) ? list : groups[first] = []).Add(job);
                }
                else
                {
                    homeless.Add(job);
                }
            }

            pending = homeless;
            var sends = groups.Select(async g =>
            {
                try
                {
                    var reply = (RedisResult[])(await g.Key.Database.ScriptEvaluateAsync(LuaScripts.Enqueue, ringKeys, Arguments(keys, g.Value)).WaitAsync(cancellationToken).ConfigureAwait(false))!;
                    return (g.Key, g.Value, Reply: reply, Error: (Exception?)null);
                }
                catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
                {
                    throw wrongType;
                }
                catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
                {
                    throw new RedisFullException($"enqueue of {g.Value.Count} jobs on queue '{keys.Queue}' on ring instance {g.Key.Member}", null, e);
                }
                catch (Exception e) when (RedisFailures.NotSent(e))
                {
                    g.Key.MarkSuspect();
                    return (g.Key, g.Value, Reply: (RedisResult[]?)null, Error: e);
                }
                catch (Exception e) when (RedisFailures.IsTransient(e))
                {
                    g.Key.MarkSuspect();
                    var reply = await RetryIndeterminateAsync(g.Key, ringKeys, Arguments(keys, g.Value), new JobHandle(keys.Queue, g.Value[0].Id), started, e, cancellationToken).ConfigureAwait(false);
                    return (g.Key, g.Value, Reply: reply, Error: (Exception?)null);
                }
            }).ToList();
            foreach (var (where, group, reply, error) in await Task.WhenAll(sends).ConfigureAwait(false))
            {
                if (reply is null)
                {
                    last = error;
                    pending.AddRange(group);
                    continue;
                }

                var refused = false;
                for (var i = 0; i < group.Count; i++)
                {
                    var state = (string)reply[i]!;
                    if (state == "~ring")
                    {
                        refused = true;
                        pending.Add(group[i]);
                    }
                    else
                    {
                        results.Add((group[i].Id, state, where));
                        if (state == "created" && ring.Topology.Ring.Owner(group[i].Id) != where.Member)
                        {
                            Interlocked.Increment(ref _rerouted);
                        }
                    }
                }

                if (refused)
                {
                    await ring.ReconcileWithAsync(where, cancellationToken).ConfigureAwait(false);
                }

                await RegisterQueueAsync(where, keys.Queue).ConfigureAwait(false);
            }

            if (pending.Count > 0)
            {
                // Jobs no instance took (none was sent): bounded even when indeterminate ones are retried without end.
                var wait = _deployment.Options.Ring.IndeterminateWait == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(30) : _deployment.Options.Ring.IndeterminateWait;
                if (Environment.TickCount64 - started > (long)wait.TotalMilliseconds)
                {
                    throw new RedisUnavailableException(
                        $"enqueue of job {pending[0].Id}{(pending.Count > 1 ? $" (and {pending.Count - 1} more)" : "")} on queue '{keys.Queue}': no ring instance took it within {wait.TotalSeconds:0} s",
                        new JobHandle(keys.Queue, pending[0].Id),
                        last);
                }

                await Task.Delay(Math.Min(1000, 50 * round), cancellationToken).ConfigureAwait(false);
            }
        }

        return results;
    }

    private async Task<RedisResult[]> RetryIndeterminateAsync(RedisConnection where, RedisKey[] keys, RedisValue[] args, JobHandle first, long started, Exception firstError, CancellationToken cancellationToken)
    {
        var last = firstError;
        var wait = _deployment.Options.Ring.IndeterminateWait;
        var endless = wait == Timeout.InfiniteTimeSpan;
        for (var attempt = 1; endless || Environment.TickCount64 - started <= (long)wait.TotalMilliseconds; attempt++)
        {
            await Task.Delay(Math.Min(1000, 100 * attempt), cancellationToken).ConfigureAwait(false);
            if (_deployment.Ring is { } ring && !ring.Topology.Served.Contains(where.Member!, StringComparer.Ordinal))
            {
                // Removed from the ring while unconfirmed: it may hold the job, but nobody serves it any more.
                throw new RedisUnavailableException(
                    $"enqueue of job {first.Id} on queue '{first.Queue}' on ring instance {where.Member} (it got no reply, and the instance was removed from the ring before it answered)",
                    first,
                    last);
            }

            Interlocked.Increment(ref _retries);
            try
            {
                // Enqueue is idempotent on the ids: if the lost attempt took them, this returns their states.
                return (RedisResult[])(await where.Database.ScriptEvaluateAsync(LuaScripts.Enqueue, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                last = e;
            }
        }

        throw new RedisUnavailableException(
            $"enqueue of job {first.Id} on queue '{first.Queue}' on ring instance {where.Member} (it got no reply, so the instance may hold the job, and it did not answer again within {_deployment.Options.Ring.IndeterminateWait.TotalSeconds:0} s)",
            first,
            last);
    }

    private static RedisValue[] Arguments(QueueKeys keys, IReadOnlyList<JobArgs> jobs)
    {
        var args = EnqueueArgs.Start(keys, jobs.Count);
        foreach (var job in jobs)
        {
            args.AddRange(job.Args);
        }

        return [.. args];
    }

    /// <summary>On a ring, records jobs an instance acknowledged in its witness, so they are reported pending if it stops answering.</summary>
    private Task IndexPendingAsync(RedisConnection where, string queue, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        _deployment.Ring is { } ring && ids.Count > 0 ? ring.Pending.AddAsync(where.Member!, queue, ids, cancellationToken) : Task.CompletedTask;

    /// <summary>The instance that holds the job's record: the first that has it, in the deployment's search order; null when none that answers does.</summary>
    private async Task<RedisConnection?> LocateAsync(JobHandle job, CancellationToken cancellationToken)
    {
        var order = _deployment.SearchOrder(job.Id);
        if (order.Count == 1)
        {
            return order[0];
        }

        foreach (var c in order.Where(c => c.IsLive))
        {
            try
            {
                if (await c.Database.KeyExistsAsync(c.Queue(job.Queue).Job(job.Id)).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    return c;
                }
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                c.MarkSuspect();
            }
        }

        // Nowhere that answers: on an instance that does not (pending), or nowhere (missing) when all answered.
        return order.All(c => c.IsLive) ? order[0] : null;
    }
}
