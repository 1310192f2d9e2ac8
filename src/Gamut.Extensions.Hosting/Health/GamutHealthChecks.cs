using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gamut.Extensions.Hosting;

/// <summary>Gamut's health checks for <c>services.AddHealthChecks()</c>.</summary>
public static class GamutHealthChecks
{
    /// <summary>
    /// Adds a check per Gamut part the host runs: <c>gamut.redis.{name}</c> (each Redis client connected, its start-up
    /// checks passed, and Redis answering now), <c>gamut.worker</c> (the hosted Redis worker running, its heartbeat
    /// fresh) and <c>gamut.pool.{name}</c> (each process pool's workers alive). Each is tagged <c>gamut</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddGamutChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var registrations = builder.Services.Where(d => d.ServiceType == typeof(GamutRegistrations)).Select(d => d.ImplementationInstance).OfType<GamutRegistrations>().FirstOrDefault()
            ?? throw new InvalidOperationException("AddGamutChecks needs services.AddGamut(...) first: it checks what AddGamut added");
        string[] tags = ["gamut"];
        foreach (var name in registrations.RedisClients)
        {
            builder.Add(new HealthCheckRegistration(
                $"gamut.redis.{name}",
                sp => new RedisHealthCheck(sp.GetRequiredKeyedService<Redis.GamutRedisClient>(name)),
                HealthStatus.Unhealthy,
                tags));
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(Redis.GamutRedisWorkerService)))
        {
            builder.Add(new HealthCheckRegistration(
                "gamut.worker",
                sp => new WorkerHealthCheck(sp.GetRequiredService<Redis.GamutRedisWorkerService>()),
                HealthStatus.Unhealthy,
                tags));
        }

        foreach (var name in registrations.Pools)
        {
            builder.Add(new HealthCheckRegistration(
                $"gamut.pool.{name}",
                sp => new PoolHealthCheck(sp.GetRequiredKeyedService<Gamut.Pool.ProcessPool>(name)),
                HealthStatus.Unhealthy,
                tags));
        }

        return builder;
    }
}
