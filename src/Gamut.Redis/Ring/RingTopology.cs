using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Gamut.Redis.Ring;

/// <summary>
/// Which Redis instances form a ring, and which version of that list this is. Stored in every instance; a client or
/// worker starts from any reachable one and adopts the newest version it sees. Immutable: each change returns a new
/// topology with the next version.
/// </summary>
/// <remarks>
/// <para><see cref="Members"/> take new jobs; a job's instance is chosen by hashing its id onto the ring (see
/// <see cref="HashRing"/>). <see cref="Draining"/> instances were removed but may still hold jobs: workers keep
/// serving them until they are empty, clients send them nothing new.</para>
/// <para>Two topologies with the same version (two operators changed the ring at once) are ordered by their
/// <see cref="Fingerprint"/>, so every instance and every client settles on the same one.</para>
/// </remarks>
public sealed class RingTopology
{
    /// <summary>Virtual nodes per instance when a ring is created: enough that 3 instances share the hash space within a few percent.</summary>
    public const int DefaultVirtualNodes = 1024;

    /// <summary>The most virtual nodes per instance.</summary>
    public const int MaxVirtualNodes = 16_384;

    private HashRing? _ring;

    private RingTopology(long version, IReadOnlyList<string> members, IReadOnlyList<string> draining, int virtualNodes)
    {
        Version = version;
        Members = members;
        Draining = draining;
        VirtualNodes = virtualNodes;
        Fingerprint = Convert.ToHexStringLower(XxHash3.Hash(Encoding.UTF8.GetBytes(Canonical())));
    }

    /// <summary>The version: 1 for a new ring, one more with every change.</summary>
    public long Version { get; }

    /// <summary>The instances that take new jobs (<c>host:port</c>), in ordinal order.</summary>
    public IReadOnlyList<string> Members { get; }

    /// <summary>Instances removed from the ring that may still hold jobs; workers drain them.</summary>
    public IReadOnlyList<string> Draining { get; }

    /// <summary>Points on the hash ring per member.</summary>
    public int VirtualNodes { get; }

    /// <summary>A digest of the whole topology: the tie-break between two topologies of the same version.</summary>
    public string Fingerprint { get; }

    /// <summary>Every instance a worker serves: the members, then the draining ones.</summary>
    public IEnumerable<string> Served => Members.Concat(Draining);

    /// <summary>The hash ring of <see cref="Members"/>.</summary>
    public HashRing Ring => _ring ??= new HashRing(Members, VirtualNodes);

    /// <summary>A new ring (version 1) of <paramref name="members"/>.</summary>
    /// <param name="members">Instances as <c>host:port</c>.</param>
    /// <param name="virtualNodes">Points per instance.</param>
    /// <exception cref="ArgumentException">No member, a malformed one, or the same one twice.</exception>
    public static RingTopology Create(IEnumerable<string> members, int virtualNodes = DefaultVirtualNodes) =>
        Build(1, members, [], virtualNodes);

    /// <summary>This ring with <paramref name="member"/> added (taken back from draining if it was there).</summary>
    /// <param name="member">The instance, <c>host:port</c>.</param>
    /// <exception cref="ArgumentException">It is already a member, or malformed.</exception>
    public RingTopology WithMember(string member)
    {
        var name = RingMember.Normalize(member);
        if (Members.Contains(name, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{name} is already a member of the ring (version {Version})", nameof(member));
        }

        return Build(Version + 1, Members.Append(name), Draining.Where(d => d != name), VirtualNodes);
    }

    /// <summary>
    /// This ring without <paramref name="member"/>. With <paramref name="drain"/> it goes on the draining list,
    /// so workers finish its jobs; without, it leaves at once and whatever it still holds is no longer served.
    /// </summary>
    /// <param name="member">The instance, <c>host:port</c>.</param>
    /// <param name="drain">Keep serving its jobs until it is empty.</param>
    /// <exception cref="ArgumentException">It is not in the ring, or it is the last member.</exception>
    public RingTopology WithoutMember(string member, bool drain = true)
    {
        var name = RingMember.Normalize(member);
        var isMember = Members.Contains(name, StringComparer.Ordinal);
        if (!isMember && !Draining.Contains(name, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{name} is not in the ring (version {Version}: {string.Join(", ", Members)})", nameof(member));
        }

        if (isMember && Members.Count == 1)
        {
            throw new ArgumentException($"{name} is the last member of the ring: add another one first", nameof(member));
        }

        var draining = Draining.Where(d => d != name);
        if (drain && isMember)
        {
            draining = draining.Append(name);
        }

        return Build(Version + 1, Members.Where(m => m != name), draining, VirtualNodes);
    }

    /// <summary>Whether this topology supersedes <paramref name="other"/> (a higher version, or the same version and a greater fingerprint).</summary>
    /// <param name="other">The topology to compare with; null is superseded by any.</param>
    public bool Supersedes(RingTopology? other) =>
        other is null || Version > other.Version || (Version == other.Version && string.CompareOrdinal(Fingerprint, other.Fingerprint) > 0);

    /// <summary>Whether <paramref name="other"/> is the very same topology.</summary>
    /// <param name="other">The other topology.</param>
    public bool SameAs(RingTopology? other) => other is not null && other.Version == Version && other.Fingerprint == Fingerprint;

    /// <summary>The JSON form stored in Redis: <c>{"v":2,"vnodes":1024,"members":[…],"draining":[…]}</c>.</summary>
    public string ToJson() => Canonical();

    /// <summary>Reads the JSON form.</summary>
    /// <param name="json">The JSON.</param>
    /// <exception cref="FormatException">It is not a valid topology.</exception>
    public static RingTopology Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var version = root.GetProperty("v").GetInt64();
            var vnodes = root.GetProperty("vnodes").GetInt32();
            var members = root.GetProperty("members").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            var draining = root.TryGetProperty("draining", out var d) ? d.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
            if (version < 1)
            {
                throw new FormatException($"ring version {version} is not positive");
            }

            return Build(version, members, draining, vnodes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"not a ring topology: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"ring v{Version}: {string.Join(", ", Members)}{(Draining.Count > 0 ? $" (draining: {string.Join(", ", Draining)})" : "")}");

    private static RingTopology Build(long version, IEnumerable<string> members, IEnumerable<string> draining, int virtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1, nameof(virtualNodes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(virtualNodes, MaxVirtualNodes, nameof(virtualNodes));
        var m = members.Select(RingMember.Normalize).ToList();
        var d = draining.Select(RingMember.Normalize).ToList();
        if (m.Count == 0)
        {
            throw new ArgumentException("A ring needs at least one member.", nameof(members));
        }

        var all = m.Concat(d).ToList();
        var twice = all.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new ArgumentException($"{twice.Key} is listed twice in the ring", nameof(members));
        }

        m.Sort(StringComparer.Ordinal);
        d.Sort(StringComparer.Ordinal);
        return new RingTopology(version, m, d, virtualNodes);
    }

    private string Canonical()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", Version);
            w.WriteNumber("vnodes", VirtualNodes);
            w.WriteStartArray("members");
            foreach (var m in Members)
            {
                w.WriteStringValue(m);
            }

            w.WriteEndArray();
            w.WriteStartArray("draining");
            foreach (var d in Draining)
            {
                w.WriteStringValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
