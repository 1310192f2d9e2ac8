using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>
/// Sends the client's scripts, again when no reply came. Every script a client sends is idempotent (enqueue on the
/// job id, cancel and watch by nature), so a call whose reply was lost to a dropped connection is simply sent again,
/// a few times, before the error surfaces; Redis' refusals become Gamut's typed errors.
/// </summary>
internal sealed class RetryingScripts
{
    private long _retries;

    /// <summary>Calls sent again because no reply came (a timeout or a broken connection), here or by the router.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Counts a call sent again elsewhere (the router's retries of an indeterminate enqueue on a ring).</summary>
    public void CountRetry() => Interlocked.Increment(ref _retries);

    /// <exception cref="RedisUnavailableException">Still no answer after the retries: the call is indeterminate.</exception>
    /// <exception cref="RedisFullException">Redis is at its memory limit and refused the (first) write: nothing was written.</exception>
    /// <exception cref="RedisKeyTypeException">A key the script writes has the wrong type: nothing was written.</exception>
    public async Task<RedisResult> EvaluateAsync(RedisConnection connection, string script, RedisKey[] keys, RedisValue[] args, string operation, JobHandle? job, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
                var epoch = connection.PrimaryGate?.Epoch ?? 0;
                var reply = await connection.Database.ScriptEvaluateAsync(script, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (connection.PrimaryGate?.Doubtful(epoch) == true)
                {
                    // Under Sentinel, an old primary may have come back while this was sent, and the reply be its:
                    // every script here is idempotent, so it goes again once the primary is confirmed.
                    if (attempt >= 10)
                    {
                        throw new RedisUnavailableException(operation + " (the Sentinel primary kept changing while it was sent)", job, null);
                    }

                    CountRetry();
                    continue;
                }

                return reply;
            }
            catch (Exception e) when (attempt < 4 && (e is RedisConnectionException or RedisTimeoutException || RedisRefusals.IsTransient(e)))
            {
                CountRetry();
                await Task.Delay(100 * attempt * attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
            {
                throw new RedisUnavailableException(operation, job, e);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal))
            {
                // min-replicas-to-write: the primary refuses writes while too few replicas are attached (before any write).
                throw new RedisUnavailableException(operation + " (the primary has too few replicas attached: min-replicas-to-write)", job, e);
            }
            catch (RedisServerException e) when (RedisRefusals.IsTransient(e))
            {
                // A fail-over in progress (a read-only replica, no primary yet): nothing was written.
                throw new RedisUnavailableException(operation + " (Redis could not take writes: a fail-over in progress?)", job, e);
            }
            catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
            {
                // The script found a key of the wrong type before its first write: nothing was written.
                throw wrongType;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
            {
                // A script's first write that would grow memory is refused before anything is written (Redis never
                // leaves a script half-done for OOM), so the refusal is clean.
                throw new RedisFullException(operation, job, e);
            }
        }
    }
}
