using System.Buffers;

namespace Gamut.Loop;

/// <summary>
/// Bytes waiting in order, in one pooled array that grows when needed: what a connection has received and nobody
/// has read yet, or what a transport was asked to send and the kernel has not taken yet. Loop thread only.
/// </summary>
internal sealed class ByteQueue(int initialSize)
{
    private byte[]? _buffer;
    private int _start;
    private int _count;

    /// <summary>How many bytes wait.</summary>
    public int Count => _count;

    /// <summary>The waiting bytes, oldest first (valid until the next call that changes the queue).</summary>
    public ReadOnlySpan<byte> Pending => _buffer.AsSpan(_start, _count);

    /// <summary>Adds <paramref name="data"/> after what waits, moving or growing the array when it does not fit.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialSize, data.Length));
            _start = 0;
        }
        else if (_start + _count + data.Length > _buffer.Length)
        {
            // Slide the waiting bytes to the front when that makes room; else move them to a larger array.
            var target = _buffer.Length - _count >= data.Length ? _buffer : ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + data.Length));
            _buffer.AsSpan(_start, _count).CopyTo(target);
            if (!ReferenceEquals(target, _buffer))
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = target;
            }

            _start = 0;
        }

        data.CopyTo(_buffer.AsSpan(_start + _count));
        _count += data.Length;
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of the oldest bytes into it; returns how many.</summary>
    public int TakeInto(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _count);
        Pending[..n].CopyTo(destination);
        Consume(n);
        return n;
    }

    /// <summary>Drops the <paramref name="n"/> oldest bytes (they were sent).</summary>
    public void Consume(int n)
    {
        _start += n;
        _count -= n;
        if (_count == 0)
        {
            _start = 0;
        }
    }

    /// <summary>Returns the array to the pool, dropping whatever still waits.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            _start = 0;
            _count = 0;
        }
    }
}
