using System.Buffers;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Redis.Worker;

/// <summary>Runs jobs on a <see cref="ThreadsExecutor"/> in the worker's process.</summary>
internal sealed class ThreadsJobRunner(int concurrency, JobRegistry registry, IJobSerializer serializer) : IJobRunner
{
    // The worker bounds how many jobs run; the executor gets room beyond that, so jobs abandoned past their timeout
    // (in-process code that ignores its token) cannot starve the ones that follow.
    private readonly ThreadsExecutor _executor = new(new ThreadsExecutorOptions { MaxConcurrency = (concurrency * 2) + 64, Registry = registry });

    public async Task<byte[]> RunAsync(JobDescriptor job, ReadOnlyMemory<byte> payload, JobContext context)
    {
        try
        {
            // The executor's own context is ignored: the job sees the Redis job's id, attempt (its delivery) and token.
            return await _executor.SubmitAsync(
                async _ =>
                {
                    var output = new ArrayBufferWriter<byte>(64);
                    await job.InvokeAsync(payload, serializer, context, output).ConfigureAwait(false);
                    return output.WrittenSpan.ToArray();
                },
                JobOptions.Default,
                context.CancellationToken).ConfigureAwait(false);
        }
        catch (JobFailedException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _executor.DisposeAsync();
}
