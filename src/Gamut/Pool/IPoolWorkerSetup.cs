using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool;

/// <summary>
/// Sets up a process pool's worker process at its start, and gives the <see cref="IJobActivator"/> that builds every
/// job that worker runs (one activation per run: a map's items each get one). Name the implementing type in
/// <see cref="ProcessPoolOptions.WorkerSetup"/>; each worker creates one instance with its public parameterless
/// constructor, before the <see cref="WorkerInitializer"/> and any job. The type comes from the pool's options in
/// code, never from a payload. Gamut.Extensions.Hosting's <c>PoolWorkerServices</c> implements it with a
/// dependency-injection container and one service scope per run.
/// </summary>
/// <remarks>
/// If <see cref="CreateActivator"/> throws, the worker fails to start (as when its initializer throws): the error is
/// logged by the pool, and <see cref="ProcessPoolOptions.RestartIntensity"/> bounds the retries. The activator lives
/// as long as the worker process; it is not disposed when the worker ends.
/// </remarks>
public interface IPoolWorkerSetup
{
    /// <summary>Called once in each worker process at start.</summary>
    /// <param name="workerLogger">The worker's logger: what it logs goes to the pool's logger, in the pool's process.</param>
    /// <returns>The activator that builds every job of this worker.</returns>
    IJobActivator CreateActivator(ILogger workerLogger);
}
