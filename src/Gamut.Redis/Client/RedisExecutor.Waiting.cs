using Gamut.Jobs;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Watching a submitted job until its outcome, decoding it, and cancelling a job its waiter gave up on.</summary>
public sealed partial class RedisExecutor
{
    private async Task WatchAsync(ResultWaiters.Waiter waiter, CancellationToken cancellationToken)
    {
        // Where the job was enqueued, if this client did it; else each instance in search order (on a ring, its
        // owner first): the watch script itself says 'missing', so finding the job costs no extra round trip.
        var candidates = waiter.Connection is { } known ? [known] : _deployment.SearchOrder(waiter.Job.Id);
        foreach (var where in candidates)
        {
            if (candidates.Count > 1 && !where.IsLive)
            {
                continue;
            }

            var keys = where.Queue(waiter.Job.Queue);
            var result = (RedisResult[])(await EvaluateWithRetryAsync(where, LuaScripts.Watch, [keys.Job(waiter.Job.Id)], [_waiters.ChannelName], $"watch of job {waiter.Job}", waiter.Job, cancellationToken).ConfigureAwait(false))!;
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

    private async Task<TOut> DecodeAsync<TOut>(JobHandle job, string name, Reply reply, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var body = reply.Body;
        switch (reply.Kind)
        {
            case "done":
                var where = _waiters.Find(job)?.Connection ?? await LocateAsync(job, cancellationToken).ConfigureAwait(false);
                var stored = where is null ? RedisValue.Null
                    : await where.Database.HashGetAsync(where.Queue(job.Queue).Job(job.Id), JobFields.Result).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (stored.IsNull)
                {
                    throw new JobLostException(job.Queue, job.Id);
                }

                body = (byte[])stored!;
                goto case "succeeded";
            case "succeeded":
                return _options.Serializer.Deserialize<TOut>(body.Span);
            default:
                throw reply.ToException(job, name, timeout);
        }
    }

    private async Task CancelQuietlyAsync(JobHandle job)
    {
        try
        {
            await CancelAsync(job, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Best effort: the caller stopped waiting either way.
        }
    }
}
