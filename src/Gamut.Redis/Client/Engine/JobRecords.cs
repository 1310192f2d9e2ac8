using System.Globalization;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Jobs' records, found by their handles: which instance holds one (the first in the deployment's search order that
/// has it), what it says (the status), and cancelling the job it describes.
/// </summary>
internal sealed class JobRecords(IRedisDeployment deployment, RetryingScripts scripts)
{
    /// <summary>The instance that holds the job's record: the first that has it, in the deployment's search order; null when none that answers does.</summary>
    public async Task<RedisConnection?> LocateAsync(JobHandle job, CancellationToken cancellationToken)
    {
        var order = deployment.SearchOrder(job.Id);
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

    /// <summary>Reads a job's record (<see cref="RedisJobState.Unreachable"/> when it is on no instance that answers).</summary>
    public async Task<RedisJobStatus> GetStatusAsync(JobHandle job, CancellationToken cancellationToken)
    {
        var where = await LocateAsync(job, cancellationToken).ConfigureAwait(false);
        if (where is null)
        {
            return new RedisJobStatus { Job = job, State = RedisJobState.Unreachable, Instance = deployment.SearchOrder(job.Id).FirstOrDefault(c => !c.IsLive)?.Member };
        }

        var v = await where.Database.HashGetAsync(where.Queue(job.Queue).Job(job.Id),
        [
            JobFields.State, JobFields.Name, JobFields.Deliveries, JobFields.Failures, JobFields.Lost, JobFields.Worker,
            JobFields.Created, JobFields.Started, JobFields.Finished, JobFields.Error, JobFields.Progress, JobFields.CancelRequested,
        ]).WaitAsync(cancellationToken).ConfigureAwait(false);
        JobError? error = null;
        if (!v[9].IsNullOrEmpty)
        {
            var (type, _, message, stack, _) = Reply.ParseError((byte[])v[9]!);
            error = new JobError(type, message, stack);
        }

        return new RedisJobStatus
        {
            Job = job,
            State = RedisJobStates.Parse((string?)v[0]),
            Name = (string?)v[1],
            Deliveries = ToInt(v[2]),
            Failures = ToInt(v[3]),
            LostDeliveries = ToInt(v[4]),
            Worker = (string?)v[5],
            CreatedAt = ToTime(v[6]),
            StartedAt = ToTime(v[7]),
            FinishedAt = ToTime(v[8]),
            Error = error,
            Progress = (string?)v[10],
            CancelRequested = !v[11].IsNullOrEmpty,
            Instance = where.Member,
        };
    }

    /// <summary>Cancels a job: a queued or delayed one at once, a running one by telling its worker.</summary>
    /// <param name="job">The job.</param>
    /// <param name="known">The instance that holds it, when the caller knows (its waiter does); else it is located.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="RedisUnavailableException">On a ring, the job is on no instance that answers (it may be on one that does not).</exception>
    public async Task<CancelOutcome> CancelAsync(JobHandle job, RedisConnection? known, CancellationToken cancellationToken)
    {
        var where = known ?? await LocateAsync(job, cancellationToken).ConfigureAwait(false)
            ?? throw new RedisUnavailableException($"cancel of job {job} (it is on no ring instance that answers; it may be on one that does not)", job, null);
        var keys = where.Queue(job.Queue);
        var result = (string?)await scripts.EvaluateAsync(
            where,
            LuaScripts.Cancel,
            [keys.Job(job.Id), keys.Ready, keys.Delayed, keys.Stats],
            [job.Id, (long)deployment.Options.ResultTtl.TotalMilliseconds, keys.CancelsPrefix, deployment.Global.ControlPrefix, job.Queue],
            $"cancel of job {job}",
            job,
            cancellationToken).ConfigureAwait(false);
        if (result == "cancelled" && deployment.Ring is { } ring)
        {
            await ring.Pending.RemoveAsync(where.Member!, [Ring.PendingIndex.Entry(job.Queue, job.Id)], cancellationToken).ConfigureAwait(false);
        }

        return result switch
        {
            "cancelled" => CancelOutcome.Cancelled,
            "cancelling" => CancelOutcome.Cancelling,
            "missing" => CancelOutcome.Missing,
            _ => CancelOutcome.AlreadyFinished,
        };
    }

    private static int ToInt(RedisValue v) => v.IsNullOrEmpty ? 0 : (int)Math.Clamp((long)v, int.MinValue, int.MaxValue);

    private static DateTimeOffset? ToTime(RedisValue v) =>
        v.IsNullOrEmpty || !long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 253402300799999
            ? null
            : DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
