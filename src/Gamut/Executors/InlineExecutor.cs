using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

/// <summary>
/// Runs each job on the caller's thread, synchronously up to its first real await. For tests and debugging:
/// a breakpoint in a job stops the caller's own stack.
/// </summary>
public sealed class InlineExecutor : InProcessExecutor
{
    /// <summary>Creates the executor.</summary>
    /// <param name="registry">The jobs it may run.</param>
    /// <param name="logger">Where jobs log.</param>
    public InlineExecutor(JobRegistry? registry = null, ILogger? logger = null)
        : base("inline", registry, logger)
    {
    }

    /// <inheritdoc/>
    protected override int DefaultWindow => 1;

    /// <inheritdoc/>
    protected override Task<T> ExecuteAsync<T>(Func<JobContext, ValueTask<T>> work, JobContext context)
    {
        try
        {
            return work(context).AsTask();
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}
