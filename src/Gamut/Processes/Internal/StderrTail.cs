using System.Text;

namespace Gamut.Processes.Internal;

/// <summary>The last 4 KiB of standard error, for error messages (a ring buffer; thread-confined to the stderr pump).</summary>
internal sealed class StderrTail
{
    public const int Capacity = 4096;

    private readonly byte[] _ring = new byte[Capacity];
    private long _total;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length >= Capacity)
        {
            data[^Capacity..].CopyTo(_ring);
            _total += data.Length;
            _total -= _total % Capacity; // realign: the ring now starts at index 0
            return;
        }

        var start = (int)(_total % Capacity);
        var first = Math.Min(data.Length, Capacity - start);
        data[..first].CopyTo(_ring.AsSpan(start));
        data[first..].CopyTo(_ring);
        _total += data.Length;
    }

    public override string ToString()
    {
        if (_total <= Capacity)
        {
            return Encoding.UTF8.GetString(_ring, 0, (int)_total);
        }

        var start = (int)(_total % Capacity);
        var ordered = new byte[Capacity];
        _ring.AsSpan(start).CopyTo(ordered);
        _ring.AsSpan(0, start).CopyTo(ordered.AsSpan(Capacity - start));

        // Drop a partial first line (and any split UTF-8 sequence with it).
        var newline = Array.IndexOf(ordered, (byte)'\n');
        var from = newline >= 0 && newline < Capacity - 1 ? newline + 1 : 0;
        return Encoding.UTF8.GetString(ordered, from, Capacity - from);
    }
}
