using System.Globalization;
using Gamut.Jobs;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Waiting for, reading and cancelling jobs by their handle.</summary>
public sealed partial class RedisExecutor
{
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
            await WatchAsync(waiter, cancellationToken).ConfigureAwait(false);
            waiter.Armed = true;
            var reply = await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            var status = reply.Kind is "failed" ? await GetStatusAsync(job, cancellationToken).ConfigureAwait(false) : null;
            return await DecodeAsync<TOut>(job, status?.Name ?? "job", reply, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiters.Remove(waiter);
        }
    }

    /// <summary>Reads a job's record.</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<RedisJobStatus> GetStatusAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        var where = await LocateAsync(job, cancellationToken).ConfigureAwait(false);
        if (where is null)
        {
            return new RedisJobStatus { Job = job, State = RedisJobState.Unreachable, Instance = _deployment.SearchOrder(job.Id).FirstOrDefault(c => !c.IsLive)?.Member };
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

    /// <summary>Cancels a job: a queued or delayed one at once, a running one by telling its worker (which cancels the job's token, or stops its process).</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="RedisUnavailableException">On a ring, the job is on no instance that answers (it may be on one that does not).</exception>
    public async Task<CancelOutcome> CancelAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        var where = _waiters.Find(job)?.Connection ?? await LocateAsync(job, cancellationToken).ConfigureAwait(false)
            ?? throw new RedisUnavailableException($"cancel of job {job} (it is on no ring instance that answers; it may be on one that does not)", job, null);
        var keys = where.Queue(job.Queue);
        var result = (string?)await EvaluateWithRetryAsync(
            where,
            LuaScripts.Cancel,
            [keys.Job(job.Id), keys.Ready, keys.Delayed, keys.Stats],
            [job.Id, (long)_deployment.Options.ResultTtl.TotalMilliseconds, keys.CancelsPrefix, _deployment.Global.ControlPrefix, job.Queue],
            $"cancel of job {job}",
            job,
            cancellationToken).ConfigureAwait(false);
        if (result == "cancelled" && _deployment.Ring is { } ring)
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
