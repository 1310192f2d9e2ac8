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
    private int _suspect;
    private volatile bool _checked;
    private PrimaryGate? _primary;

    private RedisConnection(IConnectionMultiplexer multiplexer, RedisOptions options, bool owned, string? member = null)
    {
        Multiplexer = multiplexer;
        Options = options;
        _owned = owned;
        Member = member;
        Database = multiplexer.GetDatabase();
        Subscriber = multiplexer.GetSubscriber();
        Global = new GlobalKeys(options.KeyPrefix);
        Logger = options.Logger ?? NullLogger.Instance;
    }

    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>The ring member this connects to (<c>host:port</c>), or null outside a ring.</summary>
    public string? Member { get; }

    /// <summary>What to call this instance in messages.</summary>
    public string Name => Member ?? string.Join(",", Multiplexer.GetEndPoints().Select(e => e.ToString()));

    /// <summary>Whether the start-up checks have passed on this instance (a ring member that was down at start is checked when it comes up).</summary>
    public bool Checked => _checked;

    /// <summary>
    /// Whether this instance should be used now: connected, checked, and no command timed out since its last answer
    /// to a ping. Outside a ring this is only informative: the client's own reconnection handles a lone instance.
    /// </summary>
    public bool IsLive => _checked && Volatile.Read(ref _suspect) == 0 && Multiplexer.IsConnected;

    /// <summary>A command failed or timed out here: stop sending new work until a ping answers.</summary>
    public void MarkSuspect() => Volatile.Write(ref _suspect, 1);

    /// <summary>A ping answered.</summary>
    public void MarkAnswering() => Volatile.Write(ref _suspect, 0);

    public RedisOptions Options { get; }

    /// <summary>For a Sentinel service: the gate that holds writes until the primary is confirmed after a disconnect; else null.</summary>
    internal PrimaryGate? PrimaryGate => _primary;

    /// <summary>
    /// Completes when a write may be sent: at once, except for a Sentinel service after a disconnect, until Sentinel
    /// and <c>ROLE</c> confirm the primary (<see cref="Connection.PrimaryGate"/>). Every write of the producer, the
    /// worker, the schedule keeper and the admin actions, and every read that could conclude a job is lost, waits here
    /// first.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary confirmed within the command timeout; nothing was sent.</exception>
    public ValueTask WhenWritableAsync(CancellationToken cancellationToken) => _primary is null ? default : _primary.WaitAsync(cancellationToken);

    public IDatabase Database { get; }

    public ISubscriber Subscriber { get; }

    public GlobalKeys Global { get; }

    public ILogger Logger { get; }

    /// <summary>Connects, runs the start-up checks, and returns the connection.</summary>
    /// <exception cref="RedisStartupException">Unreachable, refused credentials or TLS, a missing permission, or a configuration that could lose jobs.</exception>
    public static Task<RedisConnection> ConnectAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ConnectAsync(options, options.Configuration, null, cancellationToken);
    }

    /// <summary>Connects to <paramref name="configuration"/> (one instance, a Cluster, or a ring member), checks it, and returns the connection.</summary>
    /// <exception cref="RedisStartupException">Unreachable, refused credentials or TLS, a missing permission, or a configuration that could lose jobs.</exception>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, ConfigurationOptions configuration, string? member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = configuration.Clone();

        // Fail fast and typed on the first connect (wrong password, bad TLS, nothing listening); once connected,
        // the multiplexer reconnects by itself whenever the link drops.
        config.AbortOnConnectFail = true;

        // INFO (for the start-up checks and gamut status) is an "admin" command to StackExchange.Redis. Gamut sends
        // no destructive command.
        config.AllowAdmin = true;
        if (config.ServiceName is not null)
        {
            // A write for an instance that is down fails at once instead of waiting in that instance's backlog: a
            // primary that crashed may come back empty at the same address, and a backlog would be sent to it.
            config.BacklogPolicy = BacklogPolicy.FailFast;
        }

        IConnectionMultiplexer multiplexer;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw Classify(e, config, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        var connection = new RedisConnection(multiplexer, options, owned: true, member);
        try
        {
            await connection.CheckAsync(cancellationToken).ConfigureAwait(false);
            if (configuration.ServiceName is not null)
            {
                // The Sentinels of the original configuration (the client replaced the endpoints of its copy).
                try
                {
                    connection._primary = await PrimaryGate.StartAsync(multiplexer, configuration, connection.Logger, cancellationToken).ConfigureAwait(false);
                }
                catch (RedisConnectionException e)
                {
                    throw new RedisStartupException(RedisStartupProblem.Unreachable, $"The Sentinels at {string.Join(", ", configuration.EndPoints.Select(ep => ep.ToString()))} did not confirm a primary of service '{configuration.ServiceName}': {e.Message}", e);
                }
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>
    /// Opens a connection to a ring member that did not answer at start: it keeps trying in the background, and is
    /// used once it is up and has passed the start-up checks (<see cref="CheckAsync"/>).
    /// </summary>
    public static async Task<RedisConnection> OpenAsync(RedisOptions options, ConfigurationOptions configuration, string member, CancellationToken cancellationToken)
    {
        var config = configuration.Clone();
        config.AbortOnConnectFail = false;
        config.AllowAdmin = true;
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new RedisConnection(multiplexer, options, owned: true, member);
    }

    /// <summary>Runs the start-up checks on this instance (once they pass, it is usable).</summary>
    /// <exception cref="RedisStartupException">A configuration that could lose jobs, or a missing permission.</exception>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await ServerChecks.RunAsync(this, cancellationToken).ConfigureAwait(false);
        _checked = true;
    }

    /// <summary>Wraps a multiplexer the caller owns (and disposes).</summary>
    public static async Task<RedisConnection> WrapAsync(IConnectionMultiplexer multiplexer, RedisOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var connection = new RedisConnection(multiplexer, options, owned: false);
        await connection.CheckAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public QueueKeys Queue(string queue) => _queues.GetOrAdd(queue, static (q, prefix) => new QueueKeys(prefix, q), Options.KeyPrefix);

    public async ValueTask DisposeAsync()
    {
        if (_primary is { } gate)
        {
            await gate.DisposeAsync().ConfigureAwait(false);
        }

        if (_owned)
        {
            await Multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            Multiplexer.Dispose();
        }
    }

    internal static RedisStartupException Classify(RedisConnectionException e, ConfigurationOptions config, TimeSpan? tried = null)
    {
        var endpoints = string.Join(", ", config.EndPoints.Select(ep => ep.ToString()));
        var text = e.ToString();
        var who = config.User is null ? "the password" : $"ACL user '{config.User}' with its password";
        if (text.Contains("WRONGPASS", StringComparison.Ordinal) || text.Contains("invalid password", StringComparison.OrdinalIgnoreCase)
            || text.Contains("invalid username-password", StringComparison.OrdinalIgnoreCase))
        {
            return new RedisStartupException(RedisStartupProblem.Authentication, $"Redis at {endpoints} refused {who} (WRONGPASS); check the credentials in the URL", e);
        }

        if (text.Contains("NOAUTH", StringComparison.Ordinal) || (!config.Ssl && config.Password is null && e.FailureType == ConnectionFailureType.AuthenticationFailure))
        {
            return config.Password is null
                ? new RedisStartupException(RedisStartupProblem.Authentication, $"Redis at {endpoints} requires a password (NOAUTH) and none was given: put it in the URL (redis://:PASSWORD@host:port, or redis://USER:PASSWORD@host:port for an ACL user)", e)
                : new RedisStartupException(RedisStartupProblem.Authentication, $"Redis at {endpoints} did not accept {who} (NOAUTH); check the credentials in the URL", e);
        }

        if (!config.Ssl && e.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            return new RedisStartupException(RedisStartupProblem.Authentication, $"Redis at {endpoints} refused {who} (AUTH failed); check the credentials in the URL", e);
        }

        if (config.Ssl && (e.FailureType == ConnectionFailureType.AuthenticationFailure || e.InnerException is AuthenticationException or IOException))
        {
            return new RedisStartupException(RedisStartupProblem.Tls, $"The TLS connection to {endpoints} failed (wrong CA, bad or expired certificate, or a port that does not speak TLS); Gamut never falls back to plaintext", e);
        }

        var after = tried is { } t ? $"; gave up after {t.TotalSeconds.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture)} s" : "";
        if (config.User is not null)
        {
            return new RedisStartupException(RedisStartupProblem.Unreachable, $"No usable connection to Redis at {endpoints} as ACL user '{config.User}': {Why(e)}, or the user lacks the commands a client's handshake needs (e.g. +client, +info, +ping){after}", e);
        }

        return new RedisStartupException(RedisStartupProblem.Unreachable, $"No Redis answered at {endpoints}: {Why(e)}{after}", e);
    }

    /// <summary>What happened to the connection, in Gamut's words (the client's own message gives advice about its settings).</summary>
    private static string Why(RedisConnectionException e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is System.Net.Sockets.SocketException s)
            {
                return s.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.ConnectionRefused => "the connection was refused (nothing listens on that port?)",
                    System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.TryAgain or System.Net.Sockets.SocketError.NoData => "the host name does not resolve",
                    System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable => "the host cannot be reached",
                    System.Net.Sockets.SocketError.TimedOut => "the connection timed out",
                    var code => $"the connection failed ({code})",
                };
            }
        }

        return e.FailureType switch
        {
            ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => "no connection could be made (the server is down, or nothing listens on that port)",
            ConnectionFailureType.SocketClosed => "the server closed the connection (is it a Redis server?)",
            ConnectionFailureType.ProtocolFailure => "the server does not speak the Redis protocol",
            _ => $"the connection failed ({e.FailureType})",
        };
    }
}
