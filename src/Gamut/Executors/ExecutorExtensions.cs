using System.Runtime.CompilerServices;
using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>Conveniences over the executor contract.</summary>
public static class ExecutorExtensions
{
    /// <summary>Maps a job over an in-memory sequence.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="job">The job.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="options">Map options.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    public static IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(this IExecutor executor, JobRef<TIn, TOut> job, IEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return executor.MapAsync(job, inputs.ToAsyncEnumerable(), options, cancellationToken);
    }

    /// <summary>Maps a delegate over an in-memory sequence.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="work">The work for one input.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="options">Map options.</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    public static IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(this IInProcessExecutor executor, Func<TIn, JobContext, ValueTask<TOut>> work, IEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return executor.MapAsync(work, inputs.ToAsyncEnumerable(), options, cancellationToken);
    }

    /// <summary>Runs a synchronous delegate.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Job options.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public static Task<T> SubmitAsync<T>(this IInProcessExecutor executor, Func<T> work, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(work);
        return executor.SubmitAsync(_ => ValueTask.FromResult(work()), options, cancellationToken);
    }

    /// <summary>Yields the values of a map's outcomes, throwing the first failure.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="outcomes">The outcomes.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public static async IAsyncEnumerable<TOut> Values<TIn, TOut>(this IAsyncEnumerable<JobOutcome<TIn, TOut>> outcomes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        await foreach (var outcome in outcomes.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return outcome.Value;
        }
    }

    private static async IAsyncEnumerable<T> ToAsyncEnumerable<T>(this IEnumerable<T> source)
    {
        foreach (var item in source)
        {
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
