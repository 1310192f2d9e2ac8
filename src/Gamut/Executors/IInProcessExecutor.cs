using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>
/// An executor that shares memory with its caller (Inline, Threads, Loop), so it also runs plain delegates.
/// Executors that cross a process boundary do not implement this: the compiler keeps closures away from them.
/// </summary>
public interface IInProcessExecutor : IExecutor
{
    /// <summary>Runs a delegate and waits for its result.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; it gets a <see cref="JobContext"/> with cancellation and progress.</param>
    /// <param name="options">Id, timeout, retries; executor defaults when null.</param>
    /// <param name="cancellationToken">Cancels this work.</param>
    Task<T> SubmitAsync<T>(Func<JobContext, ValueTask<T>> work, JobOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Runs a delegate over many inputs with back-pressure; see <see cref="IExecutor.MapAsync{TIn, TOut}"/>.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="work">The work for one input.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="options">Ordering, window, per-job options.</param>
    /// <param name="cancellationToken">Cancels the whole map.</param>
    IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(Func<TIn, JobContext, ValueTask<TOut>> work, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default);
}
