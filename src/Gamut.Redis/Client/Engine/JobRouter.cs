using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Ring;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Sends enqueues where jobs go: the one Redis, or on a ring the member a job's id hashes to, falling over to the next
/// live one when that one certainly never got it. Lists the queue on the instance that took the jobs, and on a ring
/// records them in the pending index (so they are reported pending if that instance stops answering).
/// </summary>
internal sealed class JobRouter(IRedisDeployment deployment, RetryingScripts scripts, KnownQueues queues)
{
    private long _rerouted;

    /// <summary>On a ring, jobs placed on another member than their id's owner, because the owner did not answer.</summary>
    public long Rerouted => Interlocked.Read(ref _rerouted);

    /// <summary>
    /// Enqueues jobs; returns each one's outcome and the instance that holds it (in the order they were taken, which
    /// on a ring is not the order given). On a ring, a job whose enqueue certainly never reached an instance (no
    /// connection) goes to the next live member; one whose reply was lost (the instance may have taken it) is retried
    /// on the same instance only, for up to <see cref="RingOptions.IndeterminateWait"/>: moving it could make two jobs of one.
    /// </summary>
    public Task<List<Routed>> SendAsync(QueueKeys keys, IReadOnlyList<JobArgs> jobs, CancellationToken cancellationToken) =>
        deployment.Ring is { } ring ? SendOnRingAsync(ring, keys, jobs, cancellationToken) : SendToOneAsync(keys, jobs, cancellationToken);

    /// <summary>On a ring, records jobs an instance acknowledged in its witness, so they are reported pending if it stops answering.</summary>
    public Task IndexPendingAsync(RedisConnection where, string queue, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        deployment.Ring is { } ring && ids.Count > 0 ? ring.Pending.AddAsync(where.Member!, queue, ids, cancellationToken) : Task.CompletedTask;

    /// <summary>Sends and indexes the jobs it created (an enqueue's whole round trip).</summary>
    public async Task<List<Routed>> SendAndIndexAsync(QueueKeys keys, IReadOnlyList<JobArgs> jobs, CancellationToken cancellationToken)
    {
        var sent = await SendAsync(keys, jobs, cancellationToken).ConfigureAwait(false);
        foreach (var group in sent.Where(r => r.State == "created").GroupBy(r => r.Where))
        {
            await IndexPendingAsync(group.Key, keys.Queue, [.. group.Select(r => r.Id)], cancellationToken).ConfigureAwait(false);
        }

        return sent;
    }

    private async Task<List<Routed>> SendToOneAsync(QueueKeys keys, IReadOnlyList<JobArgs> jobs, CancellationToken cancellationToken)
    {
        var only = deployment.Instances[0];
        var operation = jobs.Count == 1 ? $"enqueue of job {jobs[0].Id} on queue '{keys.Queue}'" : $"enqueue of {jobs.Count} jobs on queue '{keys.Queue}'";
        JobHandle? job = jobs.Count == 1 ? new JobHandle(keys.Queue, jobs[0].Id) : null;
        var reply = (RedisResult[])(await scripts.EvaluateAsync(only, LuaScripts.Enqueue, EnqueueArgs.Keys(keys), Arguments(keys, jobs), operation, job, cancellationToken).ConfigureAwait(false))!;
        await ReplicaAckWait.WaitAsync(only, keys.Ready, operation, job, cancellationToken).ConfigureAwait(false);
        queues.Register(only, keys.Queue);
        var results = new List<Routed>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            results.Add(new Routed(jobs[i].Id, (string)reply[i]!, only));
        }

        return results;
    }

    private async Task<List<Routed>> SendOnRingAsync(RedisRing ring, QueueKeys keys, IReadOnlyList<JobArgs> jobs, CancellationToken cancellationToken)
    {
        var results = new List<Routed>(jobs.Count);
        RedisKey[] ringKeys = [.. EnqueueArgs.Keys(keys), RingStore.Key(deployment.Options.KeyPrefix)];
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
            var sends = groups.Select(g => SendGroupAsync(g.Key, g.Value, keys, ringKeys, started, cancellationToken)).ToList();
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
                        results.Add(new Routed(group[i].Id, state, where));
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

                queues.Register(where, keys.Queue);
            }

            if (pending.Count > 0)
            {
                // Jobs no instance took (none was sent): bounded even when indeterminate ones are retried without end.
                var wait = deployment.Options.Ring.IndeterminateWait == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(30) : deployment.Options.Ring.IndeterminateWait;
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

    /// <summary>One ring member's share of a round: its reply, or null with the error when the jobs certainly never reached it.</summary>
    private async Task<(RedisConnection Where, List<JobArgs> Group, RedisResult[]? Reply, Exception? Error)> SendGroupAsync(
        RedisConnection where, List<JobArgs> group, QueueKeys keys, RedisKey[] ringKeys, long started, CancellationToken cancellationToken)
    {
        try
        {
            var reply = (RedisResult[])(await where.Database.ScriptEvaluateAsync(LuaScripts.Enqueue, ringKeys, Arguments(keys, group)).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            return (where, group, reply, null);
        }
        catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
        {
            throw wrongType;
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            throw new RedisFullException($"enqueue of {group.Count} jobs on queue '{keys.Queue}' on ring instance {where.Member}", null, e);
        }
        catch (Exception e) when (RedisFailures.NotSent(e))
        {
            where.MarkSuspect();
            return (where, group, null, e);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            where.MarkSuspect();
            var reply = await RetryIndeterminateAsync(where, ringKeys, Arguments(keys, group), new JobHandle(keys.Queue, group[0].Id), started, e, cancellationToken).ConfigureAwait(false);
            return (where, group, reply, null);
        }
    }

    private async Task<RedisResult[]> RetryIndeterminateAsync(RedisConnection where, RedisKey[] keys, RedisValue[] args, JobHandle first, long started, Exception firstError, CancellationToken cancellationToken)
    {
        var last = firstError;
        var wait = deployment.Options.Ring.IndeterminateWait;
        var endless = wait == Timeout.InfiniteTimeSpan;
        for (var attempt = 1; endless || Environment.TickCount64 - started <= (long)wait.TotalMilliseconds; attempt++)
        {
            await Task.Delay(Math.Min(1000, 100 * attempt), cancellationToken).ConfigureAwait(false);
            if (deployment.Ring is { } ring && !ring.Topology.Served.Contains(where.Member!, StringComparer.Ordinal))
            {
                // Removed from the ring while unconfirmed: it may hold the job, but nobody serves it any more.
                throw new RedisUnavailableException(
                    $"enqueue of job {first.Id} on queue '{first.Queue}' on ring instance {where.Member} (it got no reply, and the instance was removed from the ring before it answered)",
                    first,
                    last);
            }

            scripts.CountRetry();
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
            $"enqueue of job {first.Id} on queue '{first.Queue}' on ring instance {where.Member} (it got no reply, so the instance may hold the job, and it did not answer again within {deployment.Options.Ring.IndeterminateWait.TotalSeconds:0} s)",
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
}
