using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>
/// Where work runs. Every executor — Inline, Threads, Loop, the process pool, Redis — implements this one
/// contract for registered jobs, so the same job moves between them by changing one line.
/// </summary>
/// <remarks>
/// <para>Failures come back as <see cref="JobFailedException"/> (the original exception's type name, message and
/// stack), timeouts as <see cref="JobTimeoutException"/>, cancellation as <see cref="OperationCanceledException"/>,
/// and work submitted after shutdown as <see cref="ExecutorClosedException"/>. A failing job never breaks its
/// executor.</para>
/// <para>Executors that share memory with the caller also run plain delegates: see <see cref="IInProcessExecutor"/>.
/// Executors that cross a process boundary take only registered jobs, whose inputs and outputs serialize.</para>
/// </remarks>
public interface IExecutor : IAsyncDisposable
{
    /// <summary>The jobs this executor may run.</summary>
    JobRegistry Registry { get; }

    /// <summary>Submits one job and waits for its result.</summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="options">Id, timeout, retries; executor defaults when null.</param>
    /// <param name="cancellationToken">Cancels this job (queued or running).</param>
    /// <returns>The job's output.</returns>
    Task<TOut> SubmitAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a job over many inputs, with at most <see cref="MapOptions.MaxInFlight"/> submitted and not yet
    /// consumed (back-pressure: inputs are pulled only as results are taken). Yields one outcome per input, in
    /// input order or as completed.
    /// </summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="inputs">The inputs; an exception while enumerating them ends the map with <see cref="MapInputException"/>.</param>
    /// <param name="options">Ordering, window, chunking, per-job options.</param>
    /// <param name="cancellationToken">Cancels the whole map.</param>
    IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels every queued and running job; the executor stays usable for new work.</summary>
    void CancelAll();

    /// <summary>
    /// Stops the executor. <see cref="ShutdownMode.Drain"/> refuses new work and waits for what was accepted;
    /// <see cref="ShutdownMode.Immediate"/> also cancels it. Calling it again is harmless.
    /// </summary>
    /// <param name="mode">Drain or stop now.</param>
    /// <param name="cancellationToken">Stops waiting for a drain (the executor then stops immediately).</param>
    Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Drain, CancellationToken cancellationToken = default);
}
