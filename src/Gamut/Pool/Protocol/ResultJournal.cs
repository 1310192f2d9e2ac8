using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Gamut.Pool.Protocol;

/// <summary>
/// Where a worker keeps the results it has not sent yet: a Results frame built in memory shared with the pool (beside
/// the worker's slot), so a worker that dies takes none of them with it. Every entry is committed (one store) before
/// the next job starts; the pool reads what was committed and not yet sent once the worker has ended.
/// </summary>
/// <remarks>
/// <para>The worker is the only writer. A send happens in three steps: the frame goes out on the channel, the journal
/// is emptied, then <c>SentFrames</c> is counted up. The pool counts the Results frames it read whole; only when its count
/// equals <c>SentFrames</c> are the committed entries results it never saw (if the worker died between the send and
/// the count, the pool has one frame more and takes nothing from here).</para>
/// <para>A map chunk of primitive results writes its items into one open entry, one value and one store per item: the
/// pool closes that entry itself when the worker died with it open.</para>
/// </remarks>
internal sealed unsafe class ResultJournal
{
    /// <summary>The header's size in shared memory: counters the pool reads after a crash.</summary>
    public const int HeaderSize = 64;

    /// <summary>How many bytes of results a worker keeps before it must send them.</summary>
    public const int Capacity = 1 << 20;

    private const int FrameHeader = 9;      // u32 length | u8 type | u32 count
    private const int OpenEntryHeader = 22; // i64 seq | u8 kind | u32 start | u32 count | u8 flags | u32 byte length
    private const int SentFramesAt = 0;     // i64: Results frames sent whole (counted after the journal is emptied)
    private const int CommittedAt = 8;      // i64: entries' bytes << 32 | entries, one store
    private const int OpenAt = 16;          // i32: the open entry's offset among the entries + 1; 0 when none
    private const int OpenItemsAt = 20;     // i32: items written into the open entry
    private const int OpenItemSizeAt = 24;  // i32: the bytes of one of its items

    private readonly byte* _header;
    private readonly byte* _buffer;
    private int _length = FrameHeader;
    private int _entries;
    private int _open = -1;
    private int _openItems;
    private int _itemSize;
    private long _sentFrames;

    /// <param name="header"><see cref="HeaderSize"/> bytes of shared memory.</param>
    /// <param name="buffer"><see cref="Capacity"/> bytes of shared memory.</param>
    public ResultJournal(byte* header, byte* buffer)
    {
        _header = header;
        _buffer = buffer;
    }

    /// <summary>Whether committed entries wait to be sent.</summary>
    public bool HasEntries => _entries > 0;

    /// <summary>Whether an entry of primitive items is open (the job thread is writing into it).</summary>
    public bool IsOpen => _open >= 0;

    /// <summary>The seq of the open entry's job and the index its next item will have.</summary>
    public (long Seq, int Next) OpenPosition =>
        (BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(_buffer + _open, 8)),
         (int)BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_buffer + _open + 9, 4)) + _openItems);

    /// <summary>Adds one whole entry; false when it does not fit beside what is there.</summary>
    public bool TryAppend(ReadOnlySpan<byte> entry)
    {
        if (_open >= 0)
        {
            throw new InvalidOperationException("An entry is open in the result journal");
        }

        if (entry.Length > Capacity - _length)
        {
            return false;
        }

        entry.CopyTo(new Span<byte>(_buffer + _length, entry.Length));
        _length += entry.Length;
        Commit();
        return true;
    }

    /// <summary>Opens an entry for raw items [<paramref name="start"/>, …) of chunk <paramref name="seq"/>; false when it does not fit.</summary>
    public bool TryOpen(long seq, int start, int itemSize)
    {
        if (Capacity - _length < OpenEntryHeader + 4 + itemSize)
        {
            return false;
        }

        var p = new Span<byte>(_buffer + _length, OpenEntryHeader);
        BinaryPrimitives.WriteInt64LittleEndian(p, seq);
        p[8] = (byte)ResultKind.Chunk;
        BinaryPrimitives.WriteUInt32LittleEndian(p[9..], (uint)start);
        _open = _length;
        _length += OpenEntryHeader;
        _openItems = 0;
        _itemSize = itemSize;
        Volatile.Write(ref *(int*)(_header + OpenItemsAt), 0);
        Volatile.Write(ref *(int*)(_header + OpenItemSizeAt), itemSize);
        Volatile.Write(ref *(int*)(_header + OpenAt), _open - FrameHeader + 1);
        return true;
    }

    /// <summary>Writes one item into the open entry; false when it is full (close it, send, open another).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd<T>(T value)
    {
        // Room for the value and the error count written when the entry closes.
        if (Capacity - _length < Unsafe.SizeOf<T>() + 4)
        {
            return false;
        }

        Unsafe.WriteUnaligned(_buffer + _length, value);
        _length += Unsafe.SizeOf<T>();
        Volatile.Write(ref *(int*)(_header + OpenItemsAt), ++_openItems);
        return true;
    }

    /// <summary>Closes the open entry (final: the chunk's last entry) and commits it.</summary>
    public void Close(bool final)
    {
        var p = new Span<byte>(_buffer + _open, OpenEntryHeader);
        BinaryPrimitives.WriteUInt32LittleEndian(p[13..], (uint)_openItems);
        p[17] = (byte)(ChunkResultFlags.Raw | (final ? ChunkResultFlags.Final : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(p[18..], (uint)(_openItems * _itemSize));
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_buffer + _length, 4), 0);
        _length += 4;
        _open = -1;
        // Committed first: the pool ignores an open entry that starts before the committed end.
        Commit();
        Volatile.Write(ref *(int*)(_header + OpenAt), 0);
    }

    /// <summary>The committed entries as one Results frame, to send.</summary>
    public ReadOnlySpan<byte> Frame()
    {
        var p = new Span<byte>(_buffer, FrameHeader);
        BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)(_length - 4));
        p[4] = (byte)FrameType.Results;
        BinaryPrimitives.WriteUInt32LittleEndian(p[5..], (uint)_entries);
        return new ReadOnlySpan<byte>(_buffer, _length);
    }

    /// <summary>The frame from <see cref="Frame"/> has been sent whole: empty the journal, then count the frame.</summary>
    public void Sent()
    {
        _length = FrameHeader;
        _entries = 0;
        Volatile.Write(ref *(long*)(_header + CommittedAt), 0);
        CountSentFrame();
    }

    /// <summary>A Results frame went out directly (an entry too large for the journal).</summary>
    public void CountSentFrame() => Volatile.Write(ref *(long*)(_header + SentFramesAt), ++_sentFrames);

    private void Commit()
    {
        _entries++;
        Volatile.Write(ref *(long*)(_header + CommittedAt), ((long)(_length - FrameHeader) << 32) | (uint)_entries);
    }

    /// <summary>
    /// The pool's part, once the worker has ended and its channel was read to the end: the body of a Results frame
    /// with what the worker committed and never sent (an open entry closed as far as it got), or null when nothing is
    /// left. <paramref name="framesRead"/> is how many Results frames the pool read whole from this worker.
    /// </summary>
    public static byte[]? Recover(byte* header, byte* buffer, long framesRead)
    {
        var sent = Volatile.Read(ref *(long*)(header + SentFramesAt));
        if (sent != framesRead)
        {
            return null;
        }

        var committed = Volatile.Read(ref *(long*)(header + CommittedAt));
        var length = (int)(committed >> 32);
        var entries = (int)(uint)committed;
        var open = Volatile.Read(ref *(int*)(header + OpenAt)) - 1;
        var items = Volatile.Read(ref *(int*)(header + OpenItemsAt));
        var itemSize = Volatile.Read(ref *(int*)(header + OpenItemSizeAt));
        if (length < 0 || length > Capacity - FrameHeader || entries < 0)
        {
            return null;
        }

        var hasOpen = open >= length && items > 0 && itemSize is > 0 and <= 16 &&
                      (long)FrameHeader + open + OpenEntryHeader + ((long)items * itemSize) <= Capacity;
        if (entries == 0 && !hasOpen)
        {
            return null;
        }

        var openBytes = hasOpen ? OpenEntryHeader + (items * itemSize) + 4 : 0;
        var body = new byte[4 + length + openBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)(entries + (hasOpen ? 1 : 0)));
        new ReadOnlySpan<byte>(buffer + FrameHeader, length).CopyTo(body.AsSpan(4));
        if (hasOpen)
        {
            var at = 4 + length;
            var data = items * itemSize;
            new ReadOnlySpan<byte>(buffer + FrameHeader + open, OpenEntryHeader + data).CopyTo(body.AsSpan(at));
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at + 13), (uint)items);
            body[at + 17] = (byte)ChunkResultFlags.Raw;
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at + 18), (uint)data);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at + OpenEntryHeader + data), 0);
        }

        return body;
    }
}
