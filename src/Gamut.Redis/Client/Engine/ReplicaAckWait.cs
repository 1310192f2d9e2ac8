using System.Globalization;
using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>WAIT mode (<see cref="RedisOptions.ReplicaAcks"/>): an enqueue returns once replicas have the job.</summary>
internal static class ReplicaAckWait
{
    /// <summary>
    /// Sends WAIT on the connection that ran the enqueue (WAIT counts that connection's writes), to the primary that
    /// owns <paramref name="key"/>. Too few acknowledgements make the enqueue indeterminate: the job is on the primary,
    /// maybe not on a replica that a fail-over would promote, so the caller must retry with the same id.
    /// Does nothing when the options ask for no acknowledgement.
    /// </summary>
    /// <exception cref="RedisUnavailableException">Fewer replicas than asked acknowledged in time, or no answer.</exception>
    public static async Task WaitAsync(RedisConnection where, RedisKey key, string operation, JobHandle? job, CancellationToken cancellationToken)
    {
        var options = where.Options;
        if (options.ReplicaAcks == 0)
        {
            return;
        }

        var timeoutMs = (long)options.ReplicaAckTimeout.TotalMilliseconds;
        long acknowledged;
        try
        {
            var endpoint = await where.Database.IdentifyEndpointAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            var server = endpoint is null
                ? where.Multiplexer.GetServers().First(s => s.IsConnected && !s.IsReplica)
                : where.Multiplexer.GetServer(endpoint);

            // WAIT holds this connection until the replicas answer or the timeout: keep the timeout short.
            acknowledged = (long)await server.ExecuteAsync("WAIT", options.ReplicaAcks, timeoutMs).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or InvalidOperationException)
        {
            throw new RedisUnavailableException(operation, job, e);
        }

        if (acknowledged < options.ReplicaAcks)
        {
            throw new RedisUnavailableException(
                string.Create(CultureInfo.InvariantCulture, $"{operation} on {options.ReplicaAcks} replica(s) (WAIT): {acknowledged} acknowledged within {timeoutMs} ms, so a fail-over could lose it"),
                job,
                null);
        }
    }
}
