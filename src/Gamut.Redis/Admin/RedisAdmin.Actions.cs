using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// Operators' actions (the dashboard's buttons): retry, cancel and delete a job, retry or purge a queue's dead letters,
/// pause and resume a queue. Every key is built from a checked queue name and job id; each change is one script.
/// </summary>
public sealed partial class RedisAdmin
{
    /// <summary>Puts a failed or dead-lettered job back on its queue with its attempts renewed.</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="ArgumentException">The queue name or the id is not valid.</exception>
    public async Task<AdminOutcome> RetryAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        Validate(job);
        foreach (var c in Holders(job.Id))
        {
            var q = c.Queue(job.Queue);
            await c.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            var r = (string?)await c.Database.ScriptEvaluateAsync(LuaScripts.AdminRetry, [q.Job(job.Id), q.Ready, q.Stats, q.Dead], [job.Id, q.WakeChannel.ToString()])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            if (r == "queued")
            {
                return AdminOutcome.Done;
            }

            if (r != "missing")
            {
                return AdminOutcome.NotApplicable;
            }
        }

        return AdminOutcome.Missing;
    }

    /// <summary>Retries every dead-lettered or failed job among a queue's newest <paramref name="max"/> dead letters that still has its record.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="max">How many dead letters to look at, at most.</param>
    /// <param name="cancellationToken">Stops the request (jobs already retried stay retried).</param>
    /// <returns>How many jobs went back on the queue.</returns>
    public async Task<int> RetryDeadAsync(string queue, int max = 1000, CancellationToken cancellationToken = default)
    {
        var retried = 0;
        foreach (var row in await ListJobsAsync(queue, JobList.Dead, 0, Math.Clamp(max, 1, 500), cancellationToken).ConfigureAwait(false))
        {
            if (row.Id is { } id && await RetryAsync(new JobHandle(queue, id), cancellationToken).ConfigureAwait(false) == AdminOutcome.Done)
            {
                retried++;
            }
        }

        return retried;
    }

    /// <summary>Cancels a queued or delayed job at once, or asks a running one's worker to stop it.</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<AdminOutcome> CancelAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        Validate(job);
        foreach (var c in Holders(job.Id))
        {
            var q = c.Queue(job.Queue);
            await c.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            var r = (string?)await c.Database.ScriptEvaluateAsync(
                LuaScripts.Cancel,
                [q.Job(job.Id), q.Ready, q.Delayed, q.Stats],
                [job.Id, (long)c.Options.ResultTtl.TotalMilliseconds, q.CancelsPrefix, c.Global.ControlPrefix, job.Queue]).WaitAsync(cancellationToken).ConfigureAwait(false);
            switch (r)
            {
                case "cancelled":
                    if (_deployment?.Ring is { } ring)
                    {
                        await ring.Pending.RemoveAsync(c.Member!, [Gamut.Redis.Ring.PendingIndex.Entry(job.Queue, job.Id)], cancellationToken).ConfigureAwait(false);
                    }

                    return AdminOutcome.Done;
                case "cancelling":
                    return AdminOutcome.Cancelling;
                case "missing":
                    continue;
                default:
                    return AdminOutcome.NotApplicable;
            }
        }

        return AdminOutcome.Missing;
    }

    /// <summary>Deletes a job that is not running: its record and its entries in the queue's lists (a running job must be cancelled first).</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<AdminOutcome> DeleteAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        Validate(job);
        foreach (var c in Holders(job.Id))
        {
            var q = c.Queue(job.Queue);
            await c.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            var r = (string?)await c.Database.ScriptEvaluateAsync(LuaScripts.AdminDelete, [q.Job(job.Id), q.Ready, q.Delayed, q.Dead], [job.Id])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            switch (r)
            {
                case "deleted":
                    if (_deployment?.Ring is { } ring)
                    {
                        await ring.Pending.RemoveAsync(c.Member!, [Gamut.Redis.Ring.PendingIndex.Entry(job.Queue, job.Id)], cancellationToken).ConfigureAwait(false);
                    }

                    return AdminOutcome.Done;
                case "running":
                    return AdminOutcome.NotApplicable;
            }
        }

        return AdminOutcome.Missing;
    }

    /// <summary>Empties a queue's dead-letter list (the records of its jobs expire as they would have).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>How many entries were dropped.</returns>
    public async Task<long> PurgeDeadAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        long dropped = 0;
        foreach (var c in LiveInstances())
        {
            var dead = c.Queue(queue).Dead;
            dropped += await c.Database.ListLengthAsync(dead).WaitAsync(cancellationToken).ConfigureAwait(false);
            await c.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            await c.Database.KeyDeleteAsync(dead).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return dropped;
    }

    /// <summary>Pauses a queue: its workers take nothing from it (jobs running go on) until it is resumed.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public Task PauseAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, true, cancellationToken);

    /// <summary>Resumes a paused queue and wakes its idle workers.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public Task ResumeAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, false, cancellationToken);

    private async Task SetPausedAsync(string queue, bool paused, CancellationToken cancellationToken)
    {
        KeyNames.ValidateQueue(queue);

        // On a ring every instance holds the queue's jobs, so every instance is paused.
        foreach (var c in LiveInstances())
        {
            var q = c.Queue(queue);
            await c.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
            await c.Database.ScriptEvaluateAsync(LuaScripts.AdminPause, [q.Paused], [paused ? "1" : "0", q.WakeChannel.ToString()])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private IEnumerable<RedisConnection> LiveInstances() => _deployment!.Instances.Where(c => c.IsLive);
}
