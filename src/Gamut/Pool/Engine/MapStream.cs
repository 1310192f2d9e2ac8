using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool.Engine;

/// <summary>A map's outcomes: each enumeration runs the map (as an async iterator would).</summary>
internal sealed class MapStream<TIn, TOut>(IMapHost host, JobRef<TIn, TOut> job, IEnumerable<TIn>? syncInputs, IAsyncEnumerable<TIn>? asyncInputs, MapOptions options, CancellationToken token)
    : IAsyncEnumerable<JobOutcome<TIn, TOut>>
{
    // Either token cancels the map, as with an async iterator's [EnumeratorCancellation].
    public IAsyncEnumerator<JobOutcome<TIn, TOut>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new MapRun<TIn, TOut>(host, job, syncInputs, asyncInputs, options, token, cancellationToken);
}
