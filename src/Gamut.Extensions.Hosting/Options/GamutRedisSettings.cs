namespace Gamut.Extensions.Hosting;

/// <summary>
/// Where Redis is, bound from the configuration section <c>Gamut:Redis</c> (appsettings.json, or environment
/// variables such as <c>Gamut__Redis__Url</c>) and checked when the host starts.
/// </summary>
public sealed class GamutRedisSettings
{
    /// <summary>The configuration section these settings come from.</summary>
    public const string Section = "Gamut:Redis";

    /// <summary>The Redis URL (<c>redis://host:6379</c>, <c>rediss://user:password@host</c>, a Cluster's nodes or Sentinels; docs/redis.md). Required.</summary>
    public string? Url { get; set; }

    /// <summary>The prefix of every key Gamut writes (one per application); Gamut's default when null.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>How long results stay in Redis; Gamut's default (an hour) when null.</summary>
    public TimeSpan? ResultTtl { get; set; }
}
