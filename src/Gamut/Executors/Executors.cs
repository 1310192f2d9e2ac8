using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>
/// Creates executors: the one place to choose where work runs.
/// <code>
/// await using var exec = Executors.Threads(maxConcurrency: 8);
/// var result = await exec.SubmitAsync(ctx => ValueTask.FromResult(6 * 7));
/// </code>
/// </summary>
public static class Executors
{
    /// <summary>An executor that runs each job on the caller's thread.</summary>
    /// <param name="registry">The jobs it may run.</param>
    public static InlineExecutor Inline(JobRegistry? registry = null) => new(registry);

    /// <summary>
    /// An executor on the caller's thread that also makes every registered job's input and output cross
    /// <paramref name="serializer"/>, as a worker process would: a test finds what will not serialize.
    /// </summary>
    /// <param name="registry">The jobs it may run.</param>
    /// <param name="serializer">The serializer to check with; <see cref="JsonJobSerializer.Default"/> when null.</param>
    public static InlineExecutor InlineCheckingSerialization(JobRegistry? registry = null, IJobSerializer? serializer = null) =>
        new(registry, serializer ?? JsonJobSerializer.Default);

    /// <summary>An executor on the thread pool with bounded concurrency.</summary>
    /// <param name="maxConcurrency">The most jobs at once; the number of cores when null.</param>
    /// <param name="registry">The jobs it may run.</param>
    public static ThreadsExecutor Threads(int? maxConcurrency = null, JobRegistry? registry = null) =>
        new(new ThreadsExecutorOptions { MaxConcurrency = maxConcurrency, Registry = registry });

    /// <summary>An executor on threads of its own, for blocking work.</summary>
    /// <param name="threads">How many threads (and jobs at once).</param>
    /// <param name="registry">The jobs it may run.</param>
    public static ThreadsExecutor DedicatedThreads(int threads, JobRegistry? registry = null) =>
        new(new ThreadsExecutorOptions { MaxConcurrency = threads, DedicatedThreads = true, Registry = registry });
}
