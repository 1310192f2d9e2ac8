using System.Diagnostics;
using Gamut.Ipc.Native;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>
/// How results go back to the pool: each is committed to the slot's <see cref="ResultJournal"/> (shared memory) before
/// the next job starts, and the journal is sent as one Results frame when a frame of jobs ends (or within about a
/// millisecond when results wait behind a long job). A crash takes no finished result with it: the pool reads what
/// was committed and not sent.
/// </summary>
internal sealed partial class WorkerHost
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(1);

    private readonly object _resultsLock = new();
    private readonly FrameWriter _entry = new(4096);
    private ResultJournal? _journal;
    private long _pendingSince;

    // The process span of the unit the job thread runs now (null when untraced), so an error answer marks it failed.
    private Activity? _runSpan;
    private long _runSpanSeq;

    private bool HasResults
    {
        get
        {
            lock (_resultsLock)
            {
                return _journal is { HasEntries: true, IsOpen: false };
            }
        }
    }

    /// <summary>Marks the running unit's span (when traced) <see cref="ActivityStatusCode.Error"/> with <c>error.type</c>.</summary>
    private void MarkSpanFailed(long seq, ErrorCode code, string message)
    {
        if (_runSpan is { } span && _runSpanSeq == seq)
        {
            span.SetStatus(ActivityStatusCode.Error, message);
            span.SetTag(GamutTelemetry.ErrorTypeTag, code == ErrorCode.Cancelled ? "canceled" : "failed");
        }
    }

    /// <summary>The largest result the pool takes, in bytes.</summary>
    public long MaxPayload => _maxPayload;

    public void AppendOk(long seq, ReadOnlySpan<byte> payload, bool raw)
    {
        lock (_resultsLock)
        {
            _entry.Clear();
            _entry.I64(seq);
            _entry.U8((byte)(raw ? ResultKind.OkRaw : ResultKind.Ok));
            _entry.Bytes(payload);
            CommitEntryLocked();
        }
    }

    public void AppendError(long seq, ErrorCode code, JobError error)
    {
        MarkSpanFailed(seq, code, error.Message);
        lock (_resultsLock)
        {
            _entry.Clear();
            _entry.I64(seq);
            _entry.U8((byte)ResultKind.Error);
            _entry.U8((byte)code);
            JobErrorCodec.Write(_entry, error);
            CommitEntryLocked();
        }
    }

    /// <summary>Results of items [start, start + count) of a chunk (a serialized array, or none when every item has an error).</summary>
    public void AppendChunkResult(long seq, int start, int count, bool final, bool raw, ReadOnlySpan<byte> payload, List<ItemError>? errors)
    {
        if (errors is [var first, ..])
        {
            // A chunk is one span: it failed when any of its items did.
            MarkSpanFailed(seq, first.Code, first.Error.Message);
        }

        lock (_resultsLock)
        {
            _entry.Clear();
            _entry.I64(seq);
            _entry.U8((byte)ResultKind.Chunk);
            _entry.U32((uint)start);
            _entry.U32((uint)count);
            _entry.U8((byte)((final ? ChunkResultFlags.Final : 0) | (raw ? ChunkResultFlags.Raw : 0)));
            _entry.Bytes(payload);
            _entry.U32((uint)(errors?.Count ?? 0));
            foreach (var e in errors ?? [])
            {
                _entry.U32((uint)e.Index);
                _entry.U8((byte)e.Code);
                JobErrorCodec.Write(_entry, e.Error);
            }

            CommitEntryLocked();
        }
    }

    /// <summary>Opens an entry for the primitive results of chunk <paramref name="seq"/> from item <paramref name="start"/> on.</summary>
    public void OpenRaw(long seq, int start, int itemSize)
    {
        lock (_resultsLock)
        {
            OpenRawLocked(seq, start, itemSize);
        }
    }

    /// <summary>One primitive result into the open entry: one store, plus one for the count the pool reads after a crash.</summary>
    public void AddRaw<T>(T value, int itemSize)
    {
        if (_journal!.TryAdd(value))
        {
            return;
        }

        lock (_resultsLock)
        {
            var (seq, next) = _journal!.OpenPosition;
            _journal!.Close(final: false);
            FlushLocked();
            OpenRawLocked(seq, next, itemSize);
        }

        if (!_journal!.TryAdd(value))
        {
            throw new InvalidOperationException("An empty result journal has no room for one value");
        }
    }

    /// <summary>Closes the open entry (final: the chunk is done).</summary>
    public void CloseRaw(bool final)
    {
        lock (_resultsLock)
        {
            _journal!.Close(final);
            MarkPendingLocked();
        }
    }

    private void OpenRawLocked(long seq, int start, int itemSize)
    {
        if (!_journal!.TryOpen(seq, start, itemSize))
        {
            FlushLocked();
            _ = _journal!.TryOpen(seq, start, itemSize);
        }

        MarkPendingLocked();
    }

    private void CommitEntryLocked()
    {
        if (!_journal!.TryAppend(_entry.Written))
        {
            FlushLocked();
            if (!_journal!.TryAppend(_entry.Written))
            {
                SendAloneLocked();
            }
        }

        MarkPendingLocked();
    }

    private void MarkPendingLocked()
    {
        if (!_journal!.HasEntries || _pendingSince == 0)
        {
            _pendingSince = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>An entry larger than the journal goes out at once, as a frame of its own, before the next job starts.</summary>
    private void SendAloneLocked()
    {
        var frame = new FrameWriter(_entry.Length + 16);
        frame.BeginFrame(FrameType.Results);
        frame.U32(1);
        _entry.Written.CopyTo(frame.GetSpan(_entry.Length));
        frame.Advance(_entry.Length);
        frame.EndFrame();
        Send(frame.Written);
        _journal!.CountSentFrame();
    }

    /// <summary>
    /// The watcher's part: results that have waited about a millisecond behind a job still running go back now, so a
    /// long job never holds finished results (short frames send theirs when they end).
    /// </summary>
    private void FlushIfStale()
    {
        lock (_resultsLock)
        {
            if (_journal is not null && _journal.HasEntries && !_journal.IsOpen && Stopwatch.GetElapsedTime(_pendingSince) >= FlushDelay)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>Sends the committed results (the job thread, between jobs or at a partial point of a chunk).</summary>
    public void Flush()
    {
        lock (_resultsLock)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        // (Null only when SIGTERM comes before the slot is mapped: nothing ran yet.)
        if (_journal is null || !_journal.HasEntries || _journal.IsOpen)
        {
            return;
        }

        Send(_journal!.Frame());
        _journal!.Sent();
        _pendingSince = 0;
    }

    private void Send(ReadOnlySpan<byte> frame)
    {
        try
        {
            _channel.Send(frame);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            LinuxNative.ExitNow(0);
        }
    }
}
