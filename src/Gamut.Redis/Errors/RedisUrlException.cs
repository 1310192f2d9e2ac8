using Gamut.Redis.Connection;

namespace Gamut.Redis;

/// <summary>A <c>--redis</c> URL is malformed. The message names the problem; the password is never shown.</summary>
public sealed class RedisUrlException : ArgumentException
{
    /// <summary>Creates the error.</summary>
    /// <param name="url">The URL (its password is redacted in the message).</param>
    /// <param name="problem">What is wrong.</param>
    public RedisUrlException(string url, string problem)
        : base($"Invalid Redis URL '{RedisUrl.Redact(url)}': {problem}")
    {
        Problem = problem;
    }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
