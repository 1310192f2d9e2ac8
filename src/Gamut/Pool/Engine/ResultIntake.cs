using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>
/// What a worker's answers do: a Results frame read item by item, each result or error delivered to its unit (a map
/// chunk's items one range at a time), failed jobs and items retried under their policy, and a chunk whose inputs did
/// not deserialize split into single items so only the bad ones fail.
/// </summary>
internal sealed class ResultIntake(PoolGate gate, WorkLedger ledger, PoolDispatcher dispatcher)
{
    /// <summary>Delivers the results in one Results frame body (from the socket, or from a dead worker's journal).</summary>
    /// <exception cref="ProtocolException">The body is malformed, or answers a unit the worker was not running.</exception>
    public void OnResults(WorkerHandle w, ReadOnlySpan<byte> body)
    {
        var r = new FrameReader(body);
        var count = r.U32();
        for (var i = 0; i < count; i++)
        {
            var seq = r.I64();
            var kind = (ResultKind)r.U8();
            PoolJob job;
            switch (kind)
            {
                case ResultKind.Ok or ResultKind.OkRaw:
                {
                    var payload = r.Bytes();
                    job = dispatcher.Answered(w, seq, final: true);
                    if (job is SingleJob single && UnitOutcome.Finish(job))
                    {
                        PoolMetrics.Completed(job, 1, PoolMetrics.Share(job, 1));
                        single.Sink.SetResult(payload, kind == ResultKind.OkRaw);
                    }

                    ledger.Leave(job);
                    break;
                }

                case ResultKind.Error:
                {
                    var code = (ErrorCode)r.U8();
                    var error = JobErrorCodec.Read(ref r);
                    OnError(dispatcher.Answered(w, seq, final: true), code, error);
                    break;
                }

                case ResultKind.Chunk:
                    OnChunkResult(w, seq, ref r);
                    break;

                default:
                    throw new ProtocolException($"an unknown result kind {kind}");
            }
        }
    }

    private void OnChunkResult(WorkerHandle w, long seq, ref FrameReader r)
    {
        var start = (int)r.U32();
        var n = (int)r.U32();
        var flags = (ChunkResultFlags)r.U8();
        var final = (flags & ChunkResultFlags.Final) != 0;
        var payload = r.Bytes();
        var errorCount = r.U32();
        var job = dispatcher.Answered(w, seq, final);
        var chunk = job as ChunkJob;
        var seconds = chunk is { IsFinished: false } ? PoolMetrics.Share(chunk, n) : -1;
        bool[]? skip = null;
        var errors = 0;
        for (var e = 0; e < errorCount; e++)
        {
            var index = (int)r.U32();
            var code = (ErrorCode)r.U8();
            var error = JobErrorCodec.Read(ref r);
            if (chunk is not null && index >= start && index < start + n)
            {
                (skip ??= new bool[n])[index - start] = true;
                errors++;
                OnItemError(chunk, index, code, error, seconds);
            }
        }

        if (chunk is not null && !chunk.IsFinished && payload.Length > 0)
        {
            PoolMetrics.Completed(chunk, n - errors, seconds);
            chunk.Chunk.SetRange(chunk.Start + start, n, payload, (flags & ChunkResultFlags.Raw) != 0, skip);
        }

        if (final)
        {
            UnitOutcome.Finish(job);
            ledger.Leave(job);
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

            var seconds = chunk.IsFinished ? -1 : PoolMetrics.Share(chunk, chunk.Count);
            for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
            {
                OnItemError(chunk, i, code, error, seconds);
            }

            UnitOutcome.Finish(chunk);
            ledger.Leave(chunk);
            return;
        }

        if (code == ErrorCode.Failed && job.Attempt < job.Options.Retry.MaxAttempts && !job.IsFinished && !gate.Immediate)
        {
            dispatcher.ScheduleRetry(job, UnitOutcome.ErrorType(code));
            return;
        }

        ledger.Fail(job, UnitOutcome.ToException(job.Name, job.Id, job.Attempt, code, error));
    }

    private void OnItemError(ChunkJob chunk, int index, ErrorCode code, JobError error, double seconds)
    {
        // (An item whose timeout was settled already: this is its answer to the SIGTERM that followed.)
        if (chunk.Chunk.IsResolved(index) || index == chunk.TimedOutItem)
        {
            return;
        }

        PoolMetrics.Failed(chunk, 1, UnitOutcome.ErrorType(code), seconds);
        if (code == ErrorCode.Failed && chunk.Attempt < chunk.Options.Retry.MaxAttempts && !gate.Immediate)
        {
            RetryItem(chunk, index, chunk.Attempt + 1);
            return;
        }

        chunk.Chunk.SetItemError(index, UnitOutcome.ToException(chunk.Name, chunk.Chunk.ItemId(index), chunk.Attempt, code, error));
    }

    /// <summary>Sends one item of a chunk again, alone, as attempt <paramref name="attempt"/> (after the retry delay when it is a retry).</summary>
    public void RetryItem(ChunkJob chunk, int index, int attempt)
    {
        var payload = chunk.Chunk.TrySerializeItem(index, out var raw, out var error);
        if (payload is null)
        {
            chunk.Chunk.SetItemError(index, error!);
            return;
        }

        var single = new SingleJob(chunk.JobIndex, chunk.Name, chunk.Chunk.ItemId(index), attempt, chunk.Options, payload, raw, chunk.Chunk.ItemSink(index)) { Trace = chunk.Trace };
        var delay = attempt > chunk.Attempt ? chunk.Options.Retry.DelayBefore(attempt) : TimeSpan.Zero;
        if (attempt > chunk.Attempt)
        {
            PoolMetrics.Retried(chunk, 1);
        }

        try
        {
            dispatcher.Accept(single, chunk.MapToken, delay, accepted: true);
        }
        catch (Exception e) when (e is ExecutorClosedException or JobException or OperationCanceledException)
        {
            chunk.Chunk.SetItemError(index, e);
        }
    }

    private void SplitIntoSingles(ChunkJob chunk)
    {
        if (!UnitOutcome.Finish(chunk))
        {
            ledger.Leave(chunk);
            return;
        }

        for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
        {
            if (!chunk.Chunk.IsResolved(i))
            {
                RetryItem(chunk, i, chunk.Attempt);
            }
        }

        ledger.Leave(chunk);
    }
}
