using Gamut.Pool;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// A process pool is healthy with as many worker processes alive as it keeps (starting, ready or busy), degraded
/// with fewer (a replacement is on its way), unhealthy with none.
/// </summary>
internal sealed class PoolHealthCheck(ProcessPool pool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var alive = pool.WorkerPids.Count;
        var data = new Dictionary<string, object> { ["alive"] = alive, ["ready"] = pool.ReadyWorkers, ["workers"] = pool.Workers };
        var message = $"{alive} of {pool.Workers} pool workers are alive";
        return Task.FromResult(alive >= pool.Workers
            ? HealthCheckResult.Healthy(message, data)
            : alive > 0 ? HealthCheckResult.Degraded(message, data: data) : HealthCheckResult.Unhealthy(message, data: data));
    }
}
