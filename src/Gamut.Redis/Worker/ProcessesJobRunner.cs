using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Microsoft.Extensions.Logging;

namespace Gamut.Redis.Worker;

/// <summary>
/// Runs jobs in a process pool: a job that crashes, leaks or hangs takes only its pool worker with it, and a
/// cancelled or timed-out job's process is stopped (SIGTERM, then SIGKILL), not merely asked to stop.
/// </summary>
internal sealed class ProcessesJobRunner(
    int concurrency,
    JobRegistry registry,
    IJobSerializer serializer,
    ILogger? logger,
    [System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type? workerSetup) : IJobRunner
{
    private readonly ProcessPool _pool = new(new ProcessPoolOptions { Workers = concurrency, Registry = registry, Serializer = serializer, Logger = logger, WorkerSetup = workerSetup });

    public Task<byte[]> RunAsync(JobDescriptor job, ReadOnlyMemory<byte> payload, JobContext context) =>
        _pool.SubmitSerializedAsync(job.Name, payload.ToArray(), context.JobId, context.Attempt, JobOptions.Default, context.CancellationToken);

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
