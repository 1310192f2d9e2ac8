using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Engine;

namespace Gamut.Pool;

/// <summary>Mapping a job over many inputs, in chunks.</summary>
public sealed partial class ProcessPool
{
    /// <inheritdoc/>
    /// <remarks>
    /// Inputs travel in chunks (<see cref="MapOptions.ChunkSize"/>, or chosen from how long chunks take): one
    /// frame per chunk each way, inputs and results serialized as arrays. Each item is still its own job: its own
    /// id, its own error, its own retries (a failed item is retried alone), and a crash fails (or retries) only the
    /// item that was running, while the chunk's items that never started run elsewhere.
    /// </remarks>
    public IAsyncEnumerable<JobOutcome<TIn, TOut>> MapAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= MapOptions.Default;
        options.Validate();
        return MapCoreAsync(job, inputs, options, cancellationToken);
    }

    private async IAsyncEnumerable<JobOutcome<TIn, TOut>> MapCoreAsync<TIn, TOut>(JobRef<TIn, TOut> job, IAsyncEnumerable<TIn> inputs, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var descriptor = Describe<TIn, TOut>(job.Name);
        var jobIndex = _jobs.IndexOf(descriptor);
        var jobOptions = options.Job with { Id = null };
        var sizer = new ChunkSizer(options.ChunkSize);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ordered = new Queue<MapChunk<TIn, TOut>>();
        var completed = Channel.CreateUnbounded<MapChunk<TIn, TOut>>(new UnboundedChannelOptions { SingleReader = true });
        var buffer = new List<TIn>();
        var source = inputs.GetAsyncEnumerator(stop.Token);
        long read = 0;
        long inFlight = 0;
        var outstanding = 0;
        var exhausted = false;
        Exception? inputError = null;

        int Window() => options.MaxInFlight ?? (int)Math.Min(int.MaxValue, Math.Max(2L * Workers, (long)sizer.Size * Workers * 3));
        int ChunkSize() => Math.Max(1, Math.Min(sizer.Size, Window()));

        void Send()
        {
            var items = buffer.ToArray();
            buffer.Clear();
            var chunk = new MapChunk<TIn, TOut>(Serializer, descriptor.Name, NewId(), read - items.Length, items);
            SubmitChunk(chunk, jobIndex, jobOptions, stop.Token);
            inFlight += items.Length;
            outstanding++;
            if (options.Ordered)
            {
                ordered.Enqueue(chunk);
            }
            else
            {
                _ = chunk.Done.Task.ContinueWith(static (_, s) => ((ChannelWriter<MapChunk<TIn, TOut>>, MapChunk<TIn, TOut>))s! is var (writer, c) && writer.TryWrite(c), (completed.Writer, chunk), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        try
        {
            while (true)
            {
                while (!exhausted && inFlight + buffer.Count < Window())
                {
                    var move = source.MoveNextAsync();
                    if (!move.IsCompleted && buffer.Count > 0)
                    {
                        // The source is slow: send what we have rather than hold it back for a full chunk.
                        Send();
                    }

                    bool more;
                    try
                    {
                        more = await move.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
                    catch (Exception e)
                    {
                        inputError = e;
                        more = false;
                    }

                    if (!more)
                    {
                        exhausted = true;
                        break;
                    }

                    buffer.Add(source.Current);
                    read++;
                    if (buffer.Count >= ChunkSize())
                    {
                        Send();
                    }
                }

                if (buffer.Count > 0)
                {
                    Send();
                }

                if (outstanding == 0)
                {
                    break;
                }

                var next = options.Ordered
                    ? ordered.Dequeue()
                    : await completed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                await next.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                outstanding--;
                inFlight -= next.Count;
                sizer.Observe(next.Count, next.DispatchedAt, next.CompletedAt);
                for (var i = 0; i < next.Count; i++)
                {
                    yield return next.Outcome(i);
                }
            }

            if (inputError is not null)
            {
                throw new MapInputException(read, inputError);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            // Ending early (a break, an error, a cancel) cancels the chunks still queued or running.
            await stop.CancelAsync().ConfigureAwait(false);
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void SubmitChunk<TIn, TOut>(MapChunk<TIn, TOut> chunk, int jobIndex, JobOptions jobOptions, CancellationToken token)
    {
        try
        {
            var payload = chunk.TrySerializeRange(0, chunk.Count);
            if (payload is not null && payload.Length <= _options.MaxPayloadBytes)
            {
                Accept(new ChunkJob(jobIndex, JobNameOf(jobIndex), 1, jobOptions, payload, chunk, 0, chunk.Count, token), token);
                return;
            }

            // Some input does not serialize (or the chunk is too large as one): send the items one by one, so
            // each bad one fails alone with its own error.
            for (var i = 0; i < chunk.Count; i++)
            {
                var one = chunk.TrySerializeItem(i, out var error);
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
                    Accept(new SingleJob(jobIndex, JobNameOf(jobIndex), chunk.ItemId(i), 1, jobOptions, one, chunk.ItemSink(i)), token);
                }
            }
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
        }
    }

    private string JobNameOf(int jobIndex) => _jobs[jobIndex].Name;
}
