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

    /// <summary>
    /// Creates an executor that also checks that registered jobs could run across a process boundary: each input
    /// and output makes a round trip through <paramref name="serializer"/>, so a value that does not serialize fails
    /// here with <see cref="JobSerializationException"/> (an input: before the job runs; an output: as the job's
    /// failure, as a worker process would report it), and the job sees a copy, never the caller's object.
    /// </summary>
    /// <param name="registry">The jobs it may run.</param>
    /// <param name="serializer">The serializer the production executor will use (e.g. <see cref="JsonJobSerializer.Default"/>).</param>
    /// <param name="logger">Where jobs log.</param>
    public InlineExecutor(JobRegistry? registry, IJobSerializer serializer, ILogger? logger = null)
        : base("inline", registry, logger, asynchronousContinuations: false)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        RoundTripSerializer = serializer;
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
