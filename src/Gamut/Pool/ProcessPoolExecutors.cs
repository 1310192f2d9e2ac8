using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool;

/// <summary>Adds the process pool to the <see cref="Gamut.Executors.Executors"/> factory.</summary>
public static class ProcessPoolExecutors
{
    extension(Gamut.Executors.Executors)
    {
        /// <summary>
        /// A pool of worker processes for registered jobs: isolated memory, crash- and timeout-safe, all cores.
        /// Workers start at once, in the background; submitted work waits for the first to be ready.
        /// <code>
        /// await using var pool = Executors.Processes(new ProcessPoolOptions { Registry = registry });
        /// var square = await pool.SubmitAsync(JobRef.To&lt;Square, int, int&gt;(), 7);
        /// </code>
        /// </summary>
        /// <param name="options">Workers, registry, recycling, supervision; the defaults when null.</param>
        public static ProcessPool Processes(ProcessPoolOptions? options = null) => new(options ?? ProcessPoolOptions.Default);

        /// <summary>A pool of worker processes for the jobs of <paramref name="registry"/>.</summary>
        /// <param name="registry">The jobs it may run.</param>
        /// <param name="workers">How many workers; the number of cores when null.</param>
        public static ProcessPool Processes(JobRegistry registry, int? workers = null) =>
            new(new ProcessPoolOptions { Registry = registry, Workers = workers });
    }
}
