using Gamut.Redis.Ring;

namespace Gamut.Redis;

/// <summary>
/// How Gamut uses a ring of independent Redis instances (docs/ring.md). Immutable; derive variants with <c>with</c>.
/// </summary>
public sealed record RingOptions
{
    /// <summary>
    /// The connect and command timeout towards each instance: how fast an instance that stopped answering (crashed,
    /// frozen, cut off) is noticed, so new jobs go to the next live one. 2 s by default.
    /// </summary>
    public TimeSpan InstanceTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each instance is pinged; an instance marked down is back in use after its first answer.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the topology version stored in each instance is read, besides the announcement every change is
    /// published with (PUB/SUB can drop a message). Also how soon an instance that missed a change is repaired.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an enqueue whose reply was lost (the instance may have taken it) is retried on the same instance
    /// before it fails with <see cref="RedisUnavailableException"/>. Such an enqueue never moves to another instance:
    /// that could make two jobs of one. <see cref="Timeout.InfiniteTimeSpan"/>: until the instance answers, or is
    /// removed from the ring (<c>gamut run</c> does this).
    /// </summary>
    public TimeSpan IndeterminateWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Points per instance when a ring is created from a list of instances (a stored ring keeps its own).</summary>
    public int VirtualNodes { get; init; } = RingTopology.DefaultVirtualNodes;

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (InstanceTimeout < TimeSpan.FromMilliseconds(50) || HealthInterval <= TimeSpan.Zero || CheckInterval <= TimeSpan.Zero || (IndeterminateWait < TimeSpan.Zero && IndeterminateWait != Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentOutOfRangeException(nameof(InstanceTimeout), "Ring timeouts and intervals must be positive (the instance timeout at least 50 ms).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(VirtualNodes, 1, nameof(VirtualNodes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(VirtualNodes, RingTopology.MaxVirtualNodes, nameof(VirtualNodes));
    }
}
