using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Follows the jobs a caller waits for: subscribes a waiter to a job's end (the watch script, which also returns the
/// outcome of a job that already ended), then turns the reply into the result or the job's error. The waiters
/// themselves, and the reply channel, are <see cref="ResultWaiters"/>'.
/// </summary>
internal sealed class ResultWatch(IRedisDeployment deployment, RetryingScripts scripts, ResultWaiters waiters, JobRecords records, PayloadCodec codec)
{
    /// <summary>
    /// Asks to be told when the waiter's job ends. Where the job was enqueued, if this client did it; else each
    /// instance in search order (on a ring, its owner first): the watch script itself says 'missing', so finding the
    /// job costs no extra round trip. A job that ended already completes the waiter at once; one on no instance ends
    /// it with <see cref="JobLostException"/>, unless an instance that may hold it does not answer.
    /// </summary>
    public async Task WatchAsync(ResultWaiters.Waiter waiter, CancellationToken cancellationToken)
    {
        var candidates = waiter.Connection is { } known ? [known] : deployment.SearchOrder(waiter.Job.Id);
        foreach (var where in candidates)
        {
            if (candidates.Count > 1 && !where.IsLive)
            {
                continue;
            }

            var keys = where.Queue(waiter.Job.Queue);
            var result = (RedisResult[])(await scripts.EvaluateAsync(where, LuaScripts.Watch, [keys.Job(waiter.Job.Id)], [waiters.ChannelName], $"watch of job {waiter.Job}", waiter.Job, cancellationToken).ConfigureAwait(false))!;
            var state = (string)result[0]!;
            if (state == "missing")
            {
                continue;
            }

            waiter.Connection = where;
            if (result.Length == 3)
            {
                var body = state == "succeeded" ? (byte[]?)result[1] : (byte[]?)result[2];
                waiter.Completion.TrySetResult(new Reply(state, body ?? []));
            }

            return;
        }

        if (candidates.FirstOrDefault(c => !c.IsLive) is { } silent && candidates.Count > 1)
        {
            // On no instance that answers, and one does not: the job may be there, pending. The waiter stays armed;
            // its record is read when that instance answers again.
            waiter.Connection = silent;
            return;
        }

        waiter.Completion.TrySetException(new JobLostException(waiter.Job.Queue, waiter.Job.Id));
    }

    /// <summary>The job's result from its reply (a large result is read from its record), or the job's error.</summary>
    /// <exception cref="JobLostException">The reply said done, but the record holds no result (it expired or was lost).</exception>
    public async Task<TOut> DecodeAsync<TOut>(JobHandle job, string name, Reply reply, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var body = reply.Body;
        switch (reply.Kind)
        {
            case "done":
                var where = waiters.Find(job)?.Connection ?? await records.LocateAsync(job, cancellationToken).ConfigureAwait(false);
                var stored = where is null ? RedisValue.Null
                    : await where.Database.HashGetAsync(where.Queue(job.Queue).Job(job.Id), JobFields.Result).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (stored.IsNull)
                {
                    throw new JobLostException(job.Queue, job.Id);
                }

                body = (byte[])stored!;
                goto case "succeeded";
            case "succeeded":
                return codec.Deserialize<TOut>(body);
            default:
                throw reply.ToException(job, name, timeout);
        }
    }

    /// <summary>Cancels a job whose waiter gave up, as best it can: the caller stopped waiting either way.</summary>
    public async Task CancelQuietlyAsync(JobHandle job)
    {
        try
        {
            await records.CancelAsync(job, waiters.Find(job)?.Connection, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Best effort: the caller stopped waiting either way.
        }
    }
}
