using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Engine;

namespace Gamut.Pool;

/// <summary>Mapping a job over many inputs, in chunks.</summary>
public sealed partial class ProcessPool : IMapHost
{
    /// <inheritdoc/>
    /// <remarks>
    /// Inputs travel in chunks (<see cref="MapOptions.ChunkSize"/>, or chosen from how long chunks take): inputs and
    /// results serialized as arrays, raw bytes for primitive numbers with the default serializer, and quick chunks
    /// several to a frame. Each item is still its own job: its own id, its own error, its own retries (a failed item
    /// is retried alone), and a crash fails (or retries) only the item that was running, while the chunk's items
    /// that never started run elsewhere.
    /// </remarks>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        return new MapStream<TIn, TOut>(this, job, null, inputs, options, cancellationToken);
    }

    /// <summary>
    /// Maps a job over an in-memory sequence, read synchronously (no asynchronous step per input). Otherwise the same
    /// as <see cref="MapAsync{TIn, TOut}(JobRef{TIn, TOut}, IAsyncEnumerable{TIn}, MapOptions?, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="inputs">The inputs; an exception while enumerating them ends the map with <see cref="MapInputException"/>.</param>
    /// <param name="options">Ordering, window, chunking, per-job options.</param>
    /// <param name="cancellationToken">Cancels the whole map.</param>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        return new MapStream<TIn, TOut>(this, job, inputs, null, options, cancellationToken);
    }

    string IMapHost.NewId() => NewId();

    int IMapHost.Prepare<TIn, TOut>(JobRef<TIn, TOut> job) => _jobs.IndexOf(Describe<TIn, TOut>(job.Name));

    void IMapHost.SubmitChunks(List<IMapChunk> chunks, int jobIndex, JobOptions jobOptions, bool quick, CancellationToken token)
    {
        var accepted = 0;
        foreach (var chunk in chunks)
        {
            accepted += SubmitChunk(chunk, jobIndex, jobOptions, quick, token) ? 1 : 0;
        }

        if (accepted > 0)
        {
            Dispatch();
        }
    }

    /// <summary>Takes one chunk in (not yet sent); false when nothing of it was queued.</summary>
    private bool SubmitChunk(IMapChunk chunk, int jobIndex, JobOptions jobOptions, bool quick, CancellationToken token)
    {
        try
        {
            var payload = chunk.TrySerializeRange(0, chunk.Count, out var raw);
            if (payload is not null && payload.Length <= _options.MaxPayloadBytes)
            {
                Accept(new ChunkJob(jobIndex, JobNameOf(jobIndex), 1, jobOptions, payload, raw, chunk, 0, chunk.Count, token) { Quick = quick }, token, dispatch: false);
                return true;
            }

            // Some input does not serialize (or the chunk is too large as one): send the items one by one, so
            // each bad one fails alone with its own error.
            var any = false;
            for (var i = 0; i < chunk.Count; i++)
            {
                var one = chunk.TrySerializeItem(i, out var oneRaw, out var error);
                if (one is null)
                {
                    chunk.SetItemError(i, error!);
                }
                else if (one.Length > _options.MaxPayloadBytes)
                {
                    chunk.SetItemError(i, new JobSerializationException($"The input of job '{JobNameOf(jobIndex)}' is {one.Length} bytes, over the pool's limit of {_options.MaxPayloadBytes}"));
                }
                else
                {
                    Accept(new SingleJob(jobIndex, JobNameOf(jobIndex), chunk.ItemId(i), 1, jobOptions, one, oneRaw, chunk.ItemSink(i)), token, dispatch: false);
                    any = true;
                }
            }

            return any;
        }
        catch (Exception e) when (e is ExecutorClosedException or JobException or OperationCanceledException)
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                if (!chunk.IsResolved(i))
                {
                    chunk.SetItemError(i, e);
                }
            }

            return true;
        }
    }

    private string JobNameOf(int jobIndex) => _jobs[jobIndex].Name;

    /// <summary>A map's outcomes: each enumeration runs the map (as an async iterator would).</summary>
    private sealed class MapStream<TIn, TOut>(IMapHost host, JobRef<TIn, TOut> job, IEnumerable<TIn>? syncInputs, IAsyncEnumerable<TIn>? asyncInputs, MapOptions options, CancellationToken token)
        : IAsyncEnumerable<JobOutcome<TIn, TOut>>
    {
        // Either token cancels the map, as with an async iterator's [EnumeratorCancellation].
        public IAsyncEnumerator<JobOutcome<TIn, TOut>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new MapRun<TIn, TOut>(host, job, syncInputs, asyncInputs, options, token, cancellationToken);
    }
}
