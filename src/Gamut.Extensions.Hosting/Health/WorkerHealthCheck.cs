using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// The hosted Redis worker is healthy while it runs and its last heartbeat (its proof to Redis that it is alive) is
/// younger than <see cref="GamutWorkerSettings.HeartbeatMaxAge"/> (three heartbeat intervals by default).
/// </summary>
internal sealed class WorkerHealthCheck(Redis.GamutRedisWorkerService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (service.Worker is not { } worker || service.Options is not { } options)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Redis worker has not started"));
        }

        if (worker.Completion.IsCompleted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Redis worker {worker.Id} has stopped", worker.Completion.Exception));
        }

        var maxAge = service.Settings.HeartbeatMaxAge ?? options.HeartbeatInterval * 3;
        var age = DateTimeOffset.UtcNow - worker.LastHeartbeat;
        var data = new Dictionary<string, object>
        {
            ["worker"] = worker.Id,
            ["running"] = worker.RunningJobs,
            ["heartbeatAgeSeconds"] = age.TotalSeconds,
        };
        return Task.FromResult(age <= maxAge
            ? HealthCheckResult.Healthy($"Redis worker {worker.Id} beat {age.TotalSeconds:0.#} s ago", data)
            : HealthCheckResult.Unhealthy($"Redis worker {worker.Id} last beat {age.TotalSeconds:0.#} s ago (more than Gamut:Worker:HeartbeatMaxAge, {maxAge.TotalSeconds:0.#} s): Redis may be unreachable, or the worker stuck", data: data));
    }
}
