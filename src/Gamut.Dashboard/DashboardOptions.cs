using Gamut.Redis;

namespace Gamut.Dashboard;

/// <summary>
/// How a dashboard reads Redis and who may use it. Safe by default: requests from loopback only, no password, every
/// action enabled. An immutable value: each <c>With…</c> returns a new one.
/// </summary>
public sealed record DashboardOptions
{
    /// <summary>Where Redis is (one instance, a Cluster, a Sentinel service or a ring) and the application's key prefix.</summary>
    public required RedisOptions Redis { get; init; }

    /// <summary>Hide and refuse every action (retry, cancel, delete, purge, pause, resume): a dashboard to look at only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// The password's hash (<see cref="DashboardPassword.Hash"/>; never the password itself). When set, every request
    /// needs a session opened with the password on the dashboard's sign-in page.
    /// </summary>
    public string? PasswordHash { get; init; }

    /// <summary>
    /// The dashboard is reachable beyond loopback (<see cref="DashboardServer.RunAsync"/> on an address that is not loopback sets it): every
    /// request needs the password, and without a <see cref="PasswordHash"/> every request is refused.
    /// </summary>
    public bool RequireCredentials { get; init; }

    /// <summary>
    /// Let requests from other machines through without the dashboard's own password: for an app that guards the
    /// returned endpoints with its own authorization policy (<c>.RequireAuthorization(…)</c>). Off by default.
    /// </summary>
    public bool AllowRemoteRequests { get; init; }

    /// <summary>How often the one poller of this dashboard reads Redis (default 500 ms; changes reach browsers within it).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Options that read the Redis at <paramref name="redis"/>.</summary>
    /// <param name="redis">Where Redis is.</param>
    public static DashboardOptions For(RedisOptions redis) => new() { Redis = redis };

    /// <summary>A copy that hides and refuses every action.</summary>
    public DashboardOptions WithReadOnly(bool readOnly = true) => this with { ReadOnly = readOnly };

    /// <summary>A copy that requires the password (only its hash is kept).</summary>
    /// <param name="password">The password.</param>
    public DashboardOptions WithPassword(string password) => this with { PasswordHash = DashboardPassword.Hash(password) };

    /// <summary>A copy that requires a password whose hash is given (from <see cref="DashboardPassword.Hash"/>).</summary>
    /// <param name="hash">The hash.</param>
    public DashboardOptions WithPasswordHash(string hash) => this with { PasswordHash = DashboardPassword.Validate(hash) };

    /// <summary>A copy for a listener reachable beyond loopback: every request needs the password.</summary>
    public DashboardOptions WithCredentialsRequired(bool required = true) => this with { RequireCredentials = required };

    /// <summary>A copy that lets remote requests through (the app's own authorization policy guards the endpoints).</summary>
    public DashboardOptions WithRemoteRequests(bool allow = true) => this with { AllowRemoteRequests = allow };

    /// <summary>A copy with another poll interval (50 ms to 1 minute).</summary>
    /// <param name="interval">The interval.</param>
    public DashboardOptions WithPollInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromMilliseconds(50));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, TimeSpan.FromMinutes(1));
        return this with { PollInterval = interval };
    }
}
