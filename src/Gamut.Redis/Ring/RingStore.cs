using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Ring;

/// <summary>
/// Where a ring's topology lives in each of its instances: the HASH <c>P:ring</c> (fields <c>v</c>, <c>fp</c>,
/// <c>json</c>, and <c>state</c>: this instance's own place in it, <c>member</c>, <c>draining</c> or <c>gone</c>, which
/// the enqueue script reads), and the channel <c>P:ring</c> on which a new version is announced.
/// </summary>
internal static class RingStore
{
    public static RedisKey Key(string prefix) => prefix + ":ring";

    public static RedisChannel Channel(string prefix) => RedisChannel.Literal(prefix + ":ring");

    /// <summary>Reads the stored topology; null when there is none.</summary>
    /// <exception cref="FormatException">The stored value is not a topology.</exception>
    public static async Task<RingTopology?> ReadAsync(IDatabaseAsync db, string prefix, CancellationToken cancellationToken)
    {
        var json = await db.HashGetAsync(Key(prefix), "json").WaitAsync(cancellationToken).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : RingTopology.Parse((string)json!);
    }

    /// <summary>
    /// Stores <paramref name="topology"/> in the instance <paramref name="member"/> unless a superseding one is
    /// there; returns that one, or null when stored.
    /// </summary>
    public static async Task<RingTopology?> WriteAsync(IDatabaseAsync db, string prefix, string member, RingTopology topology, CancellationToken cancellationToken)
    {
        var state = topology.Members.Contains(member, StringComparer.Ordinal) ? "member"
            : topology.Draining.Contains(member, StringComparer.Ordinal) ? "draining" : "gone";
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(
            LuaScripts.RingSet, [Key(prefix)], [topology.Version, topology.Fingerprint, topology.ToJson(), state])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return (long)reply[0] == 1 ? null : RingTopology.Parse((string)reply[1]!);
    }

    /// <summary>This instance's own state in its stored topology: member, draining, gone, or null when it holds none.</summary>
    public static async Task<string?> StateAsync(IDatabaseAsync db, string prefix, CancellationToken cancellationToken) =>
        (string?)await db.HashGetAsync(Key(prefix), "state").WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Announces a new version to the clients and workers subscribed on this instance.</summary>
    public static Task PublishAsync(ISubscriber subscriber, string prefix, RingTopology topology) =>
        subscriber.PublishAsync(Channel(prefix), topology.Version);
}
