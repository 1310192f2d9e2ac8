using System.Buffers;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>The worker's job loop and how results go back to the pool.</summary>
internal sealed partial class WorkerHost
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(1);

    private async Task<int> MainLoopAsync()
    {
        while (true)
        {
            if (!_inbox.Reader.TryRead(out var frame))
            {
                frame = await _inbox.Reader.ReadAsync().ConfigureAwait(false);
            }

            try
            {
                switch (frame.Type)
                {
                    case FrameType.DefineJob:
                        var r = new FrameReader(frame.Buffer.AsSpan(0, frame.Length));
                        var index = r.U32();
                        _jobs.Define(index, JobDefinition.Read(ref r));
                        break;
                    case FrameType.Jobs:
                        await RunJobsAsync(frame.Buffer.AsMemory(0, frame.Length)).ConfigureAwait(false);
                        break;
                    case FrameType.Stop:
                        Flush();
                        Environment.Exit(_terminating ? ExitTerminated : 0);
                        break;
                }
            }
            finally
            {
                if (frame.Buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(frame.Buffer);
                }
            }
        }
    }

    private async ValueTask RunJobsAsync(ReadOnlyMemory<byte> body)
    {
        var r = new FrameReader(body.Span);
        var count = r.U32();
        var jobs = new (long Seq, uint Index, int Attempt, JobFlags Flags, string Id, int Items, int Offset, int Length)[count];
        for (var i = 0; i < count; i++)
        {
            var seq = r.I64();
            var index = r.U32();
            var attempt = (int)r.U32();
            var flags = (JobFlags)r.U8();
            var id = r.String();
            var items = (flags & JobFlags.Chunk) != 0 ? (int)r.U32() : 1;
            var (offset, length) = r.BytesRange();
            jobs[i] = (seq, index, attempt, flags, id, items, offset, length);
        }

        foreach (var job in jobs)
        {
            if (_terminating)
            {
                break;
            }

            await RunOneAsync(job.Seq, job.Index, job.Attempt, job.Flags, job.Id, job.Items, body.Slice(job.Offset, job.Length)).ConfigureAwait(false);
        }

        Flush();
    }

    private async ValueTask RunOneAsync(long seq, uint index, int attempt, JobFlags flags, string id, int items, ReadOnlyMemory<byte> payload)
    {
        var job = _jobs.Get(index);
        if (job is null)
        {
            AppendError(seq, ErrorCode.UnknownJob, new JobError(typeof(UnknownJobException).FullName!, $"The worker was never told about job #{index}"));
            return;
        }

        if (job.LoadError is not null)
        {
            AppendError(seq, ErrorCode.Registration, job.LoadError);
            return;
        }

        var token = BeginJob(seq);
        if (token is null)
        {
            AppendError(seq, ErrorCode.Cancelled, new JobError(typeof(OperationCanceledException).FullName!, "Cancelled before it started"));
            return;
        }

        try
        {
            if ((flags & JobFlags.Chunk) != 0)
            {
                await job.Chunk.RunAsync(this, new ChunkWork(seq, id, attempt, payload, items, token.Value)).ConfigureAwait(false);
                return;
            }

            Slot.Begin(seq, 0);
            _scratch.Clear();
            try
            {
                var context = new JobContext(id, job.Name, attempt, token.Value, Logger);
                await job.Descriptor!.InvokeAsync(payload, Serializer, context, _scratch).ConfigureAwait(false);
                if (_scratch.WrittenCount > _maxPayload)
                {
                    AppendError(seq, ErrorCode.Serialization, new JobError(typeof(JobSerializationException).FullName!, $"The result of job '{job.Name}' is {_scratch.WrittenCount} bytes, over the pool's limit of {_maxPayload}"));
                }
                else
                {
                    AppendOk(seq, _scratch.WrittenSpan);
                }
            }
            catch (JobSerializationException e)
            {
                AppendError(seq, ErrorCode.Serialization, JobError.From(e));
            }
            catch (OperationCanceledException) when (token.Value.IsCancellationRequested)
            {
                AppendError(seq, ErrorCode.Cancelled, new JobError(typeof(OperationCanceledException).FullName!, "Cancelled"));
            }
            catch (Exception e)
            {
                AppendError(seq, ErrorCode.Failed, JobError.From(e));
            }
            finally
            {
                Slot.End();
            }
        }
        finally
        {
            EndJob();
        }
    }

    private CancellationToken? BeginJob(long seq)
    {
        lock (_cancelLock)
        {
            if (_cancelled.Remove(seq) || _terminating)
            {
                return null;
            }

            if (_jobCancel.IsCancellationRequested)
            {
                _jobCancel.Dispose();
                _jobCancel = new CancellationTokenSource();
            }

            _runningSeq = seq;
            return _jobCancel.Token;
        }
    }

    private void EndJob()
    {
        lock (_cancelLock)
        {
            _runningSeq = 0;
        }
    }

    private void AppendOk(long seq, ReadOnlySpan<byte> payload)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, ResultKind.Ok);
            _results.Bytes(payload);
            ArmFlush();
        }
    }

    private void AppendError(long seq, ErrorCode code, JobError error)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, ResultKind.Error);
            _results.U8((byte)code);
            JobErrorCodec.Write(_results, error);
            ArmFlush();
        }
    }

    /// <summary>A whole chunk failed before any item ran (its inputs did not deserialize).</summary>
    public void WriteChunkError(long seq, int count, ErrorCode code, JobError error) => AppendError(seq, code, error);

    /// <summary>Results of items [start, start + count) of a chunk, and the errors among them.</summary>
    public void WriteChunkResult(long seq, int start, int count, bool final, ReadOnlySpan<byte> payload, List<(int Index, ErrorCode Code, JobError Error)> errors)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, ResultKind.Chunk);
            _results.U32((uint)start);
            _results.U32((uint)count);
            _results.U8(final ? (byte)1 : (byte)0);
            _results.Bytes(payload);
            _results.U32((uint)errors.Count);
            foreach (var (index, code, error) in errors)
            {
                _results.U32((uint)index);
                _results.U8((byte)code);
                JobErrorCodec.Write(_results, error);
            }

            if (final)
            {
                ArmFlush();
            }
        }

        if (!final)
        {
            Flush();
        }
    }

    private void BeginEntry(long seq, ResultKind kind)
    {
        if (_resultCount == 0)
        {
            _results.BeginFrame(FrameType.Results);
            _countAt = _results.Position;
            _results.U32(0);
        }

        _resultCount++;
        _results.I64(seq);
        _results.U8((byte)kind);
    }

    private void ArmFlush()
    {
        // Results of a frame go back together when the frame ends; a result that waits behind a long job goes
        // back within about a millisecond anyway, so a slow job never holds finished work hostage.
        if (!_flushArmed)
        {
            _flushArmed = true;
            _flushTimer?.Change(FlushDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Flush()
    {
        lock (_resultsLock)
        {
            _flushArmed = false;
            if (_resultCount == 0)
            {
                return;
            }

            _results.PatchU32(_countAt, (uint)_resultCount);
            _results.EndFrame();
            try
            {
                _channel.Send(_results.Written);
            }
            catch (System.Net.Sockets.SocketException)
            {
                Ipc.Native.LinuxNative.ExitNow(0);
            }

            _results.Clear();
            _resultCount = 0;
        }
    }
}
