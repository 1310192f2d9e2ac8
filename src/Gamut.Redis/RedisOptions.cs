namespace Gamut.Redis;

/// <summary>How to reach Redis and how Gamut uses it. (The distributed executor is being built.)</summary>
public sealed record RedisOptions
{
    /// <summary>The key prefix of this application, so several applications can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "gamut";
}
