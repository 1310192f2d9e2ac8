namespace Gamut.Redis;

/// <summary>Why Gamut refused to start on a Redis server.</summary>
public enum RedisStartupProblem
{
    /// <summary>No server answered within the connect retries.</summary>
    Unreachable,

    /// <summary>The password, or the ACL user and password, were refused.</summary>
    Authentication,

    /// <summary>The ACL user lacks a command or key pattern Gamut needs.</summary>
    Permission,

    /// <summary>The TLS handshake failed (wrong CA, expired certificate, or a server that does not speak TLS).</summary>
    Tls,

    /// <summary>The server is older than Redis 6.2 (no LMOVE).</summary>
    Version,

    /// <summary>The server evicts keys under memory pressure (<c>maxmemory-policy</c> is not <c>noeviction</c>): it could drop queued jobs.</summary>
    EvictionPolicy,

    /// <summary>Durability was asked for, but the server has no append-only file.</summary>
    Persistence,

    /// <summary>The keys under the prefix are in a layout version this Gamut does not speak (the <c>P:layout</c> key).</summary>
    Layout,
}

/// <summary>
/// Gamut refused to start on a Redis server: it is unreachable, refused the credentials, lacks a permission, or
/// is configured in a way that could lose jobs. Fails closed: there is no retry storm and no fallback to plaintext.
/// </summary>
public sealed class RedisStartupException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="problem">The kind of problem.</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The client's own error, if any.</param>
    public RedisStartupException(RedisStartupProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>The kind of problem.</summary>
    public RedisStartupProblem Problem { get; }
}
