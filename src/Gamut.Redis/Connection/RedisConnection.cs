using System.Collections.Concurrent;
using System.Security.Authentication;
using Gamut.Redis.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// One multiplexed connection to Redis with Gamut's keys: checked at start-up (fails closed with a typed error),
/// then reconnecting by itself for as long as it lives.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, QueueKeys> _queues = new(StringComparer.Ordinal);
    private readonly bool _owned;

    private RedisConnection(IConnectionMultiplexer multiplexer, RedisOptions options, bool owned)
    {
        Multiplexer = multiplexer;
        Options = options;
        _owned = owned;
        Database = multiplexer.GetDatabase();
        Subscriber = multiplexer.GetSubscriber();
        Global = new GlobalKeys(options.KeyPrefix);
        Logger = options.Logger ?? NullLogger.Instance;
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public RedisOptions Options { get; }

    public IDatabase Database { get; }

    public ISubscriber Subscriber { get; }

    public GlobalKeys Global { get; }

    public ILogger Logger { get; }

    /// <summary>Connects, runs the start-up checks, and returns the connection.</summary>
    /// <exception cref="RedisStartupException">Unreachable, refused credentials or TLS, a missing permission, or a configuration that could lose jobs.</exception>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = options.Configuration.Clone();

        // Fail fast and typed on the first connect (wrong password, bad TLS, nothing listening); once connected,
        // the multiplexer reconnects by itself whenever the link drops.
        config.AbortOnConnectFail = true;

        // INFO (for the start-up checks and gamut status) is an "admin" command to StackExchange.Redis. Gamut sends
        // no destructive command.
        config.AllowAdmin = true;
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw Classify(e, config);
        }

        var connection = new RedisConnection(multiplexer, options, owned: true);
        try
        {
            await ServerChecks.RunAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>Wraps a multiplexer the caller owns (and disposes).</summary>
    public static async Task<RedisConnection> WrapAsync(IConnectionMultiplexer multiplexer, RedisOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var connection = new RedisConnection(multiplexer, options, owned: false);
        await ServerChecks.RunAsync(connection, cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public QueueKeys Queue(string queue) => _queues.GetOrAdd(queue, static (q, prefix) => new QueueKeys(prefix, q), Options.KeyPrefix);

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await Multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            Multiplexer.Dispose();
        }
    }

    private static RedisStartupException Classify(RedisConnectionException e, ConfigurationOptions config)
    {
        var endpoints = string.Join(", ", config.EndPoints.Select(ep => ep.ToString()));
        var text = e.ToString();
        var refused = text.Contains("WRONGPASS", StringComparison.Ordinal) || text.Contains("NOAUTH", StringComparison.Ordinal)
            || text.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || text.Contains("invalid username-password", StringComparison.OrdinalIgnoreCase);
        if (refused || (!config.Ssl && e.FailureType == ConnectionFailureType.AuthenticationFailure))
        {
            var who = config.User is null ? "the password" : $"ACL user '{config.User}' with its password";
            return new RedisStartupException(RedisStartupProblem.Authentication, $"Redis at {endpoints} refused {who} (AUTH failed); check the credentials in the URL", e);
        }

        if (config.Ssl && (e.FailureType == ConnectionFailureType.AuthenticationFailure || e.InnerException is AuthenticationException or IOException))
        {
            return new RedisStartupException(RedisStartupProblem.Tls, $"The TLS connection to {endpoints} failed (wrong CA, bad or expired certificate, or a port that does not speak TLS); Gamut never falls back to plaintext", e);
        }

        if (config.User is not null)
        {
            return new RedisStartupException(RedisStartupProblem.Unreachable, $"No usable connection to Redis at {endpoints} as ACL user '{config.User}': the server is down, or the user lacks the commands a client's handshake needs (e.g. +client, +info, +ping): {e.Message}", e);
        }

        return new RedisStartupException(RedisStartupProblem.Unreachable, $"No Redis answered at {endpoints} after {config.ConnectRetry} attempts of {config.ConnectTimeout} ms: {e.Message}", e);
    }
}
