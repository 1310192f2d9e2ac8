using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Engine;
using Gamut.Pool.Protocol;

namespace Gamut.Pool;

/// <summary>What happens to a unit when its worker answers: results, errors, retries.</summary>
public sealed partial class ProcessPool
{
    private void OnResults(WorkerHandle w, ReadOnlySpan<byte> body)
    {
        var r = new FrameReader(body);
        var count = r.U32();
        for (var i = 0; i < count; i++)
        {
            var seq = r.I64();
            var kind = (ResultKind)r.U8();
            PoolJob? job;
            bool final;
            switch (kind)
            {
                case ResultKind.Ok or ResultKind.OkRaw:
                {
                    var payload = r.Bytes();
                    job = Pop(w, seq, final = true);
                    if (job is SingleJob single && Finish(job))
                    {
                        single.Sink.SetResult(payload, kind == ResultKind.OkRaw);
                    }

                    Leave(job);
                    break;
                }

                case ResultKind.Error:
                {
                    var code = (ErrorCode)r.U8();
                    var error = JobErrorCodec.Read(ref r);
                    job = Pop(w, seq, final = true);
                    if (job is not null)
                    {
                        OnError(job, code, error);
                    }

                    break;
                }

                case ResultKind.Chunk:
                {
                    var start = (int)r.U32();
                    var n = (int)r.U32();
                    var flags = (ChunkResultFlags)r.U8();
                    final = (flags & ChunkResultFlags.Final) != 0;
                    var payload = r.Bytes();
                    var errorCount = r.U32();
                    job = Pop(w, seq, final);
                    var chunk = job as ChunkJob;
                    bool[]? skip = null;
                    for (var e = 0; e < errorCount; e++)
                    {
                        var index = (int)r.U32();
                        var code = (ErrorCode)r.U8();
                        var error = JobErrorCodec.Read(ref r);
                        if (chunk is not null && index >= start && index < start + n)
                        {
                            (skip ??= new bool[n])[index - start] = true;
                            OnItemError(chunk, index, code, error);
                        }
                    }

                    if (chunk is not null && !chunk.IsFinished && payload.Length > 0)
                    {
                        chunk.Chunk.SetRange(chunk.Start + start, n, payload, (flags & ChunkResultFlags.Raw) != 0, skip);
                    }

                    if (final && job is not null)
                    {
                        Finish(job);
                        Leave(job);
                    }

                    break;
                }

                default:
                    throw new ProtocolException($"an unknown result kind {kind}");
            }
        }
    }

    /// <summary>Takes the answered unit off its worker's in-flight list (when the answer is final). Answers come in the order sent.</summary>
    private PoolJob? Pop(WorkerHandle w, long seq, bool final)
    {
        lock (_gate)
        {
            var node = w.InFlight.First;
            if (node is null || node.Value.Seq != seq)
            {
                throw new ProtocolException($"{w} answered job #{seq}, which it was not running");
            }

            var job = node.Value;
            if (!final)
            {
                return job;
            }

            w.InFlight.RemoveFirst();
            if (job.LastOfFrame && w.FramesInFlight > 0)
            {
                w.FramesInFlight--;
            }

            job.Worker = null;
            job.State = PoolJobState.Answered;
            return job;
        }
    }

    private void OnError(PoolJob job, ErrorCode code, JobError error)
    {
        if (job is ChunkJob chunk)
        {
            if (code == ErrorCode.Serialization && !chunk.IsFinished)
            {
                // The inputs did not deserialize as an array in the worker: send them one by one, so only the bad
                // ones fail and the rest run.
                SplitIntoSingles(chunk);
                return;
            }

            for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
            {
                OnItemError(chunk, i, code, error);
            }

            if (chunk.TryFinish())
            {
                chunk.Registration.Dispose();
            }

            Leave(chunk);
            return;
        }

        if (code == ErrorCode.Failed && job.Attempt < job.Options.Retry.MaxAttempts && !job.IsFinished && !_immediate)
        {
            ScheduleRetry(job);
            return;
        }

        Fail(job, ToException(job.Name, job.Id, job.Attempt, code, error));
    }

    private void OnItemError(ChunkJob chunk, int index, ErrorCode code, JobError error)
    {
        // (An item whose timeout was settled already: this is its answer to the SIGTERM that followed.)
        if (chunk.Chunk.IsResolved(index) || index == chunk.TimedOutItem)
        {
            return;
        }

        if (code == ErrorCode.Failed && chunk.Attempt < chunk.Options.Retry.MaxAttempts && !_immediate)
        {
            RetryItem(chunk, index, chunk.Attempt + 1);
            return;
        }

        chunk.Chunk.SetItemError(index, ToException(chunk.Name, chunk.Chunk.ItemId(index), chunk.Attempt, code, error));
    }

    /// <summary>Sends one item of a chunk again, alone, as attempt <paramref name="attempt"/> (after the retry delay when it is a retry).</summary>
    private void RetryItem(ChunkJob chunk, int index, int attempt)
    {
        var payload = chunk.Chunk.TrySerializeItem(index, out var raw, out var error);
        if (payload is null)
        {
            chunk.Chunk.SetItemError(index, error!);
            return;
        }

        var single = new SingleJob(chunk.JobIndex, chunk.Name, chunk.Chunk.ItemId(index), attempt, chunk.Options, payload, raw, chunk.Chunk.ItemSink(index));
        var delay = attempt > chunk.Attempt ? chunk.Options.Retry.DelayBefore(attempt) : TimeSpan.Zero;
        try
        {
            Accept(single, chunk.MapToken, delay, accepted: true);
        }
        catch (Exception e) when (e is ExecutorClosedException or JobException or OperationCanceledException)
        {
            chunk.Chunk.SetItemError(index, e);
        }
    }

    private void SplitIntoSingles(ChunkJob chunk)
    {
        if (!chunk.TryFinish())
        {
            Leave(chunk);
            return;
        }

        chunk.Registration.Dispose();
        for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
        {
            if (!chunk.Chunk.IsResolved(i))
            {
                RetryItem(chunk, i, chunk.Attempt);
            }
        }

        Leave(chunk);
    }

    private static Exception ToException(string name, string id, int attempts, ErrorCode code, JobError error) => code switch
    {
        ErrorCode.Failed => new JobFailedException(name, id, error, attempts),
        ErrorCode.Serialization => new JobSerializationException(error.Message),
        ErrorCode.Registration => new JobRegistrationException(error.Message),
        ErrorCode.Cancelled => new OperationCanceledException($"Job '{name}' ({id}) was cancelled"),
        _ => new JobRegistrationException($"Job '{name}' ({id}) could not run in the worker: {error.Message}"),
    };

    /// <summary>Claims the unit's outcome and ends its cancellation registration; false when someone else got there first.</summary>
    private static bool Finish(PoolJob job)
    {
        if (!job.TryFinish())
        {
            return false;
        }

        job.Registration.Dispose();
        return true;
    }

    /// <summary>Delivers a failure to whatever still waits on the unit, and takes it off the books.</summary>
    private void Fail(PoolJob job, Exception error)
    {
        if (Finish(job))
        {
            switch (job)
            {
                case SingleJob single:
                    single.Sink.SetError(error);
                    break;
                case ChunkJob chunk:
                    for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
                    {
                        if (!chunk.Chunk.IsResolved(i))
                        {
                            chunk.Chunk.SetItemError(i, error);
                        }
                    }

                    break;
            }
        }

        Leave(job);
    }

    /// <summary>
    /// Takes an answered unit off the books. A unit still queued, waiting or in flight stays (a cancelled job whose
    /// worker has not answered yet leaves when it is answered).
    /// </summary>
    private void Leave(PoolJob? job)
    {
        if (job is null)
        {
            return;
        }

        lock (_gate)
        {
            if (job.State == PoolJobState.Answered)
            {
                GoneLocked(job);
            }
        }
    }
}
