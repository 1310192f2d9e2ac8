using Gamut.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gamut.Extensions.Hosting;

/// <summary>A Redis client is healthy when it connected (its start-up checks passed) and Redis answers a round trip now.</summary>
internal sealed class RedisHealthCheck(Redis.GamutRedisClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!client.IsConnected)
        {
            return HealthCheckResult.Unhealthy(
                client.StartFailure is { } e ? $"Redis '{client.Name}' failed its start: {e.Message}" : $"Redis '{client.Name}' is not connected (the host has not started)",
                client.StartFailure);
        }

        try
        {
            // A status read of a job that does not exist: one round trip to the instance (or ring member) that would hold it.
            var status = await client.Executor.GetStatusAsync(new JobHandle(client.Executor.DefaultQueue, "gamut-health-probe"), cancellationToken).ConfigureAwait(false);
            return status.State == RedisJobState.Unreachable
                ? HealthCheckResult.Unhealthy($"Redis '{client.Name}' is unreachable (instance {status.Instance})")
                : HealthCheckResult.Healthy($"Redis '{client.Name}' answers");
        }
        catch (Exception e) when (e is RedisUnavailableException or StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis '{client.Name}' does not answer: {e.Message}", e);
        }
    }
}
