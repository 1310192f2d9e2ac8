using System.Diagnostics;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>Sends one frame to the pool.</summary>
internal delegate void FrameSender(ReadOnlySpan<byte> frame);

/// <summary>
/// How results go back to the pool: each is committed to the slot's <see cref="ResultJournal"/> (shared memory) before
/// the next job starts, and the journal is sent as one Results frame when a frame of jobs ends (<see cref="Flush"/>),
/// or within about a millisecond when results wait behind a long job (<see cref="FlushIfStale"/>, the watcher's
/// part). A crash takes no finished result with it: the pool reads what was committed and not sent.
/// </summary>
internal sealed class ResultOutbox(FrameSender send)
{
    /// <summary>How long committed results may wait behind a job still running.</summary>
    public static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(1);

    private readonly object _lock = new();
    private readonly FrameWriter _entry = new(4096);
    private ResultJournal? _journal;
    private long _pendingSince;

    /// <summary>Whether committed results wait to be sent (none while a chunk's entry is open).</summary>
    public bool HasResults
    {
        get
        {
            lock (_lock)
            {
                return _journal is { HasEntries: true, IsOpen: false };
            }
        }
    }

    /// <summary>Commits to <paramref name="journal"/> from now on (the slot's, once it is mapped).</summary>
    public void Attach(ResultJournal journal)
    {
        lock (_lock)
        {
            _journal = journal;
        }
    }

    public void AppendOk(long seq, ReadOnlySpan<byte> payload, bool raw)
    {
        lock (_lock)
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
        lock (_lock)
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
        lock (_lock)
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
        lock (_lock)
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

        lock (_lock)
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
        lock (_lock)
        {
            _journal!.Close(final);
            MarkPendingLocked();
        }
    }

    /// <summary>Sends the committed results that have waited <see cref="FlushDelay"/> behind a job still running.</summary>
    public void FlushIfStale()
    {
        lock (_lock)
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
        lock (_lock)
        {
            FlushLocked();
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
        send(frame.Written);
        _journal!.CountSentFrame();
    }

    private void FlushLocked()
    {
        // (Null only when SIGTERM comes before the slot is mapped: nothing ran yet.)
        if (_journal is null || !_journal.HasEntries || _journal.IsOpen)
        {
            return;
        }

        send(_journal!.Frame());
        _journal!.Sent();
        _pendingSince = 0;
    }
}
