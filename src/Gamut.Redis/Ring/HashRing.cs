using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Gamut.Redis.Ring;

/// <summary>
/// Consistent hashing with virtual nodes: each member owns <c>virtualNodes</c> points on a 64-bit circle, and a key
/// belongs to the member of the first point at or after the key's own point (wrapping around). Adding or removing
/// one member of N moves only the keys of the arcs it gains or loses — about 1/N of them.
/// </summary>
/// <remarks>
/// The points are XXH3-64 (seed 0) of UTF-8 text: member <c>m</c>'s point <c>i</c> is the hash of <c>m#i</c>
/// (<c>i</c> from 0, in decimal), a key's point the hash of the key. Any language can compute the same routing
/// (docs/ring.md). Immutable and thread-safe.
/// </remarks>
public sealed class HashRing
{
    private readonly ulong[] _points;
    private readonly int[] _owners;
    private readonly string[] _members;

    /// <summary>Builds the ring of <paramref name="members"/>.</summary>
    /// <param name="members">Member names (<c>host:port</c>); order does not matter.</param>
    /// <param name="virtualNodes">Points per member.</param>
    public HashRing(IReadOnlyList<string> members, int virtualNodes)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1, nameof(virtualNodes));
        if (members.Count == 0)
        {
            throw new ArgumentException("A ring needs at least one member.", nameof(members));
        }

        _members = [.. members.Order(StringComparer.Ordinal)];
        var all = new (ulong Point, int Owner)[_members.Length * virtualNodes];
        var k = 0;
        for (var m = 0; m < _members.Length; m++)
        {
            for (var i = 0; i < virtualNodes; i++)
            {
                all[k++] = (Hash($"{_members[m]}#{i}"), m);
            }
        }

        // Equal points (a 64-bit collision) are ordered by member, so every process builds the same ring.
        Array.Sort(all, static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _points = [.. all.Select(p => p.Point)];
        _owners = [.. all.Select(p => p.Owner)];
    }

    /// <summary>The members, in ordinal order.</summary>
    public IReadOnlyList<string> Members => _members;

    /// <summary>The member that owns <paramref name="key"/>.</summary>
    /// <param name="key">A job id (or any routing key).</param>
    public string Owner(string key) => _members[_owners[IndexOf(Hash(key))]];

    /// <summary>
    /// Every member in the order <paramref name="key"/> falls back through them: its owner first, then the owners
    /// of the following points, each member once.
    /// </summary>
    /// <param name="key">A job id (or any routing key).</param>
    public IEnumerable<string> Successors(string key)
    {
        var seen = new bool[_members.Length];
        var left = _members.Length;
        var start = IndexOf(Hash(key));
        for (var step = 0; step < _points.Length && left > 0; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (!seen[owner])
            {
                seen[owner] = true;
                left--;
                yield return _members[owner];
            }
        }
    }

    /// <summary>The fraction of the hash space each member owns (the share of keys it should get).</summary>
    public IReadOnlyDictionary<string, double> Shares()
    {
        var owned = new double[_members.Length];
        for (var i = 0; i < _points.Length; i++)
        {
            // Point i owns the arc that ends at it: from the previous point (exclusive) to it (inclusive).
            var previous = i == 0 ? _points[^1] : _points[i - 1];
            owned[_owners[i]] += unchecked(_points[i] - previous) / 18446744073709551616.0;
        }

        if (_points.Length == 1)
        {
            owned[0] = 1;
        }

        return _members.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => owned[x.i], StringComparer.Ordinal);
    }

    /// <summary>The point of <paramref name="text"/> on the ring: XXH3-64 of its UTF-8 bytes.</summary>
    /// <param name="text">A member's point name or a key.</param>
    public static ulong Hash(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash3.HashToUInt64(buffer[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private int IndexOf(ulong point)
    {
        var i = Array.BinarySearch(_points, point);
        if (i < 0)
        {
            i = ~i;
        }

        // Several points may be equal: take the first of them, so the owner does not depend on the search.
        while (i > 0 && _points[i - 1] == point)
        {
            i--;
        }

        return i == _points.Length ? 0 : i;
    }
}
