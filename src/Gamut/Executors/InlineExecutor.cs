using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

/// <summary>
/// Runs each job on the caller's thread, synchronously up to its first real await. For tests and debugging:
/// a breakpoint in a job stops the caller's own stack, and a job's exception has the caller's frames under it.
/// </summary>
/// <remarks>
/// Nothing is queued: <see cref="IExecutor.SubmitAsync{TIn, TOut}"/> returns once the job has run (or gone
/// asynchronous), and a map runs one input at a time.
/// </remarks>
public sealed class InlineExecutor : InProcessExecutor
{
    /// <summary>Creates the executor.</summary>
    /// <param name="registry">The jobs it may run.</param>
    /// <param name="logger">Where jobs log.</param>
    public InlineExecutor(JobRegistry? registry = null, ILogger? logger = null)
        : base("inline", registry, logger, asynchronousContinuations: false)
    {
    }

    internal override int DefaultWindow => 1;

    internal override void Schedule(ExecutorRun run)
    {
        if (run.Execute())
        {
            run.Publish();
        }
    }
}
