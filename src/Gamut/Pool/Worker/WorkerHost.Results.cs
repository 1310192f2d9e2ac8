using System.Diagnostics;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>How results go back to the pool: appended to one Results frame, sent when a frame of jobs ends.</summary>
internal sealed partial class WorkerHost
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(1);

    private readonly object _resultsLock = new();
    private readonly FrameWriter _results = new(64 * 1024);
    private int _resultCount;
    private int _countAt;
    private long _pendingSince;

    private bool HasResults
    {
        get
        {
            lock (_resultsLock)
            {
                return _resultCount > 0;
            }
        }
    }

    /// <summary>The largest result the pool takes, in bytes.</summary>
    public long MaxPayload => _maxPayload;

    public void AppendOk(long seq, ReadOnlySpan<byte> payload, bool raw)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, raw ? ResultKind.OkRaw : ResultKind.Ok);
            _results.Bytes(payload);
        }
    }

    public void AppendError(long seq, ErrorCode code, JobError error)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, ResultKind.Error);
            _results.U8((byte)code);
            JobErrorCodec.Write(_results, error);
        }
    }

    /// <summary>Results of items [start, start + count) of a chunk; a partial one (not final) is sent at once.</summary>
    public void AppendChunkResult(long seq, int start, int count, bool final, bool raw, ReadOnlySpan<byte> payload, List<ItemError> errors)
    {
        lock (_resultsLock)
        {
            BeginEntry(seq, ResultKind.Chunk);
            _results.U32((uint)start);
            _results.U32((uint)count);
            _results.U8((byte)((final ? ChunkResultFlags.Final : 0) | (raw ? ChunkResultFlags.Raw : 0)));
            _results.Bytes(payload);
            _results.U32((uint)errors.Count);
            foreach (var e in errors)
            {
                _results.U32((uint)e.Index);
                _results.U8((byte)e.Code);
                JobErrorCodec.Write(_results, e.Error);
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
            _pendingSince = Stopwatch.GetTimestamp();
        }

        _resultCount++;
        _results.I64(seq);
        _results.U8((byte)kind);
    }

    /// <summary>
    /// The watcher's part: results that have waited about a millisecond behind a job still running go back now, so a
    /// long job never holds finished results (short frames send theirs when they end).
    /// </summary>
    private void FlushIfStale()
    {
        lock (_resultsLock)
        {
            if (_resultCount > 0 && Stopwatch.GetElapsedTime(_pendingSince) >= FlushDelay)
            {
                Flush();
            }
        }
    }

    private void Flush()
    {
        lock (_resultsLock)
        {
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
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                LinuxNative.ExitNow(0);
            }

            _results.Clear();
            _resultCount = 0;
        }
    }
}
