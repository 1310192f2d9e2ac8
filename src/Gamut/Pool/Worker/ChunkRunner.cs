using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>One map chunk as the worker gets it.</summary>
internal readonly record struct ChunkWork(long Seq, string JobId, int Attempt, ReadOnlyMemory<byte> Payload, int Count, CancellationToken Token);

/// <summary>Runs a map chunk: many inputs of one job, deserialized and serialized as arrays to amortize the cost.</summary>
internal interface IChunkRunner
{
    ValueTask RunAsync(WorkerHost host, ChunkWork work);
}

/// <summary>
/// Runs each item of a chunk in order, each as its own job run (own context, own error), and sends the results as
/// an array. A long chunk sends what it has every few milliseconds, so a crash late in a chunk loses little.
/// </summary>
internal sealed class ChunkRunner<TIn, TOut>(JobDescriptor descriptor) : IChunkRunner
{
    private static readonly TimeSpan PartialEvery = TimeSpan.FromMilliseconds(5);

    public async ValueTask RunAsync(WorkerHost host, ChunkWork work)
    {
        TIn[] items;
        try
        {
            items = host.Serializer.Deserialize<TIn[]>(work.Payload.Span);
            if (items is null || items.Length != work.Count)
            {
                throw new JobSerializationException($"A chunk of {work.Count} inputs of job '{descriptor.Name}' arrived with {items?.Length ?? 0}");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The pool answers this by sending the chunk's inputs one by one, so the bad input is found and the rest run.
            host.WriteChunkError(work.Seq, work.Count, ErrorCode.Serialization, JobError.From(e));
            return;
        }

        var results = new TOut[items.Length];
        var errors = new List<(int Index, ErrorCode Code, JobError Error)>();
        var sent = 0;
        var lastSent = Stopwatch.GetTimestamp();
        for (var i = 0; i < items.Length; i++)
        {
            if (work.Token.IsCancellationRequested)
            {
                for (var j = i; j < items.Length; j++)
                {
                    errors.Add((j, ErrorCode.Cancelled, new JobError(typeof(OperationCanceledException).FullName!, "Cancelled")));
                }

                break;
            }

            host.Slot.Begin(work.Seq, i);
            try
            {
                var context = new JobContext(string.Concat(work.JobId, ".", i.ToString(CultureInfo.InvariantCulture)), descriptor.Name, work.Attempt, work.Token, host.Logger);
                var run = descriptor.Create<TIn, TOut>().RunAsync(items[i], context);
                results[i] = run.IsCompletedSuccessfully ? run.Result : await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (work.Token.IsCancellationRequested)
            {
                errors.Add((i, ErrorCode.Cancelled, new JobError(typeof(OperationCanceledException).FullName!, "Cancelled")));
            }
            catch (Exception e)
            {
                errors.Add((i, ErrorCode.Failed, JobError.From(e)));
            }

            host.Slot.End();
            if (i + 1 < items.Length && Stopwatch.GetElapsedTime(lastSent) > PartialEvery)
            {
                Send(host, work.Seq, results, sent, i + 1, errors, final: false);
                sent = i + 1;
                lastSent = Stopwatch.GetTimestamp();
            }
        }

        Send(host, work.Seq, results, sent, items.Length, errors, final: true);
    }

    private void Send(WorkerHost host, long seq, TOut[] results, int start, int end, List<(int Index, ErrorCode Code, JobError Error)> errors, bool final)
    {
        var segment = start == 0 && end == results.Length ? results : results[start..end];
        var inRange = errors.FindAll(e => e.Index >= start && e.Index < end);
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, segment.Length * 8));
        try
        {
            host.Serializer.Serialize(buffer, segment);
        }
        catch (JobSerializationException)
        {
            // Find the results that do not serialize, fail only those, and send the others.
            for (var k = 0; k < segment.Length; k++)
            {
                if (inRange.Exists(e => e.Index == start + k))
                {
                    continue;
                }

                try
                {
                    host.Serializer.Serialize(new ArrayBufferWriter<byte>(), segment[k]);
                }
                catch (JobSerializationException e)
                {
                    inRange.Add((start + k, ErrorCode.Serialization, new JobError(typeof(JobSerializationException).FullName!, $"The result of job '{descriptor.Name}' did not serialize as {typeof(TOut).Name}: {e.Message}")));
                    segment[k] = default!;
                }
            }

            buffer.Clear();
            try
            {
                host.Serializer.Serialize(buffer, segment);
            }
            catch (JobSerializationException e)
            {
                // The array itself does not serialize (nor do we know why): every item of the range fails.
                buffer.Clear();
                inRange.Clear();
                for (var k = start; k < end; k++)
                {
                    inRange.Add((k, ErrorCode.Serialization, JobError.From(e)));
                }
            }
        }

        host.WriteChunkResult(seq, start, end - start, final, buffer.WrittenSpan, inRange);
    }
}
