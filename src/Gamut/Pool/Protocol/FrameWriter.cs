using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gamut.Pool.Protocol;

/// <summary>
/// Builds frames into one growable buffer, so several frames go out in one write. Not thread-safe.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _length;
    private int _frameStart = -1;

    public FrameWriter(int initialCapacity = 4096) => _buffer = new byte[initialCapacity];

    /// <summary>The bytes written so far (complete frames).</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written so far, as memory.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public int Length => _length;

    public void Clear()
    {
        _length = 0;
        _frameStart = -1;
        if (_buffer.Length > 1 << 20)
        {
            _buffer = new byte[4096];
        }
    }

    public void BeginFrame(FrameType type)
    {
        if (_frameStart >= 0)
        {
            throw new InvalidOperationException("A frame is already open");
        }

        _frameStart = _length;
        Ensure(5);
        _length += 4;
        _buffer[_length++] = (byte)type;
    }

    public void EndFrame()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_frameStart), (uint)(_length - _frameStart - 4));
        _frameStart = -1;
    }

    /// <summary>Drops the frame being built (after a serialization error in its middle).</summary>
    public void AbandonFrame()
    {
        if (_frameStart >= 0)
        {
            _length = _frameStart;
            _frameStart = -1;
        }
    }

    /// <summary>The position of the next byte, to patch a count later.</summary>
    public int Position => _length;

    public void PatchU32(int position, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(position), value);

    public void U8(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void U32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void I64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void String(string? value)
    {
        value ??= "";
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(4 + max);
        var n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)n);
        _length += 4 + n;
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Ensure(4 + value.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)value.Length);
        value.CopyTo(_buffer.AsSpan(_length + 4));
        _length += 4 + value.Length;
    }

    /// <summary>Starts a length-prefixed byte field whose content is written through <see cref="IBufferWriter{T}"/>.</summary>
    public int BeginBytes()
    {
        Ensure(4);
        var at = _length;
        _length += 4;
        return at;
    }

    public void EndBytes(int at) => PatchU32(at, (uint)(_length - at - 4));

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsSpan(_length);
    }

    private void Ensure(int more)
    {
        if (_buffer.Length - _length >= more)
        {
            return;
        }

        var size = Math.Max(_buffer.Length * 2, _length + more);
        Array.Resize(ref _buffer, size);
    }
}
