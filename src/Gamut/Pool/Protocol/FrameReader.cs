using System.Buffers.Binary;
using System.Text;

namespace Gamut.Pool.Protocol;

/// <summary>Reads the fields of one frame's body. A short or malformed body throws <see cref="ProtocolException"/>.</summary>
internal ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _at;

    public FrameReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _at = 0;
    }

    public readonly bool AtEnd => _at >= _body.Length;

    public byte U8()
    {
        Need(1);
        return _body[_at++];
    }

    public uint U32()
    {
        Need(4);
        var v = BinaryPrimitives.ReadUInt32LittleEndian(_body[_at..]);
        _at += 4;
        return v;
    }

    public long I64()
    {
        Need(8);
        var v = BinaryPrimitives.ReadInt64LittleEndian(_body[_at..]);
        _at += 8;
        return v;
    }

    public string String()
    {
        var n = (int)U32();
        Need(n);
        var s = Encoding.UTF8.GetString(_body.Slice(_at, n));
        _at += n;
        return s;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        var n = U32();
        if (n > int.MaxValue)
        {
            throw new ProtocolException("a field longer than 2 GiB");
        }

        Need((int)n);
        var s = _body.Slice(_at, (int)n);
        _at += (int)n;
        return s;
    }

    /// <summary>Reads a length-prefixed byte field and returns where it is in the body (to slice memory without copying).</summary>
    public (int Offset, int Length) BytesRange()
    {
        var n = U32();
        if (n > int.MaxValue)
        {
            throw new ProtocolException("a field longer than 2 GiB");
        }

        Need((int)n);
        var at = _at;
        _at += (int)n;
        return (at, (int)n);
    }

    /// <summary>The offset of the next byte within the body (to slice the frame's memory without copying).</summary>
    public readonly int Offset => _at;

    private readonly void Need(int n)
    {
        if (n < 0 || _body.Length - _at < n)
        {
            throw new ProtocolException($"a frame ended early (needed {n} more bytes at offset {_at} of {_body.Length})");
        }
    }
}

/// <summary>The other side sent something that is not a valid frame.</summary>
internal sealed class ProtocolException(string message) : Exception($"Pool protocol error: {message}");
