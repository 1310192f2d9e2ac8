namespace Gamut.Jobs;

/// <summary>
/// A unit of work that can run on any executor: in-process, in a worker process, or on a Redis worker.
/// </summary>
/// <remarks>
/// A job type crosses process boundaries by its registered name only (see <see cref="JobRegistry"/>);
/// its input and output cross as serialized data. Keep jobs stateless and idempotent: delivery across
/// processes and machines is at-least-once.
/// </remarks>
/// <typeparam name="TIn">The input; must serialize with the executor's serializer to cross a boundary.</typeparam>
/// <typeparam name="TOut">The output; must serialize with the executor's serializer to cross a boundary.</typeparam>
public interface IJob<in TIn, TOut>
{
    /// <summary>Runs the job once.</summary>
    /// <param name="input">The job's input.</param>
    /// <param name="context">Cancellation, attempt number, progress and logging for this run.</param>
    /// <returns>The job's output.</returns>
    ValueTask<TOut> RunAsync(TIn input, JobContext context);
}
