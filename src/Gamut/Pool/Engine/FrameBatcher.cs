using System.Globalization;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// Which queued units go to one worker in one frame, and how that frame is written. Automatic batching: with many
/// units waiting, each ready worker gets its share in one frame (one write, one read, one results frame back); with
/// one waiting, it goes alone and at once. Map chunks share a frame only when they are seen to be quick, so slow ones
/// still spread over the workers one by one. Holds no state: the caller owns the queue and its lock.
/// </summary>
internal static class FrameBatcher
{
    /// <summary>At most this many units in one frame.</summary>
    public const int MaxUnitsPerFrame = 64;

    /// <summary>At most this many map items in one frame of quick chunks.</summary>
    public const int MaxItemsPerFrame = 16_384;

    /// <summary>The units at the head of <paramref name="pending"/> for one of <paramref name="readyWorkers"/> workers (not taken off the queue).</summary>
    public static List<PoolJob> Choose(LinkedList<PoolJob> pending, int readyWorkers)
    {
        var batch = new List<PoolJob>();
        var max = Math.Clamp((pending.Count + readyWorkers - 1) / Math.Max(1, readyWorkers), 1, MaxUnitsPerFrame);
        var items = 0;
        for (var node = pending.First; node is not null && batch.Count < max; node = node.Next)
        {
            var job = node.Value;
            if (batch.Count > 0 && job.IsChunk && (!job.Quick || items + job.ItemCount > MaxItemsPerFrame))
            {
                break;
            }

            batch.Add(job);
            items += job.ItemCount;
            if (job.IsChunk && !job.Quick)
            {
                break;
            }
        }

        return batch;
    }

    /// <summary>
    /// Writes a Jobs frame for <paramref name="jobs"/> (their seqs already given), preceded by a DefineJob frame for
    /// each job type the worker has not been told about yet (<paramref name="defined"/> is updated).
    /// </summary>
    public static void Write(FrameWriter writer, IReadOnlyList<PoolJob> jobs, HashSet<int> defined, JobTable table)
    {
        foreach (var job in jobs)
        {
            if (defined.Add(job.JobIndex))
            {
                writer.BeginFrame(FrameType.DefineJob);
                writer.U32((uint)job.JobIndex);
                table[job.JobIndex].Write(writer);
                writer.EndFrame();
            }
        }

        writer.BeginFrame(FrameType.Jobs);
        writer.U32((uint)jobs.Count);
        foreach (var job in jobs)
        {
            var flags = (job.RawPayload ? JobFlags.RawInput : JobFlags.None) | (job.Options.Timeout is null ? JobFlags.None : JobFlags.Timed) |
                (job.SerializedResult ? JobFlags.SerializedResult : JobFlags.None) | (job.Trace is null ? JobFlags.None : JobFlags.Traced);
            writer.I64(job.Seq);
            writer.U32((uint)job.JobIndex);
            writer.U32((uint)job.Attempt);
            if (job is ChunkJob chunk)
            {
                writer.U8((byte)(flags | JobFlags.Chunk));
                writer.String(chunk.Start == 0 ? job.Id : string.Concat(job.Id, "+", chunk.Start.ToString(CultureInfo.InvariantCulture)));
                writer.U32((uint)chunk.Count);
            }
            else
            {
                writer.U8((byte)flags);
                writer.String(job.Id);
            }

            if (job.Trace is { } trace)
            {
                writer.String(trace.TraceParent);
                writer.String(trace.TraceState);
            }

            writer.Bytes(job.Payload);
        }

        writer.EndFrame();
    }
}
