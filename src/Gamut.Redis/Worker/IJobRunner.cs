using Gamut.Jobs;

namespace Gamut.Redis.Worker;

/// <summary>Runs one serialized job where the worker runs jobs (its threads, or a process pool).</summary>
internal interface IJobRunner : IAsyncDisposable
{
    /// <summary>Runs <paramref name="job"/> on <paramref name="payload"/> and returns the serialized result.</summary>
    /// <remarks>Throws what the job threw (unwrapped), <see cref="OperationCanceledException"/> when the context's token stopped it.</remarks>
    Task<byte[]> RunAsync(JobDescriptor job, ReadOnlyMemory<byte> payload, JobContext context);
}
