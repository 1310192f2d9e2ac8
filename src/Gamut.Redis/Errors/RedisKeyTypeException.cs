using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// A key Gamut reads or writes holds a value of another type than Gamut keeps there (another client, an operator or
/// an older version wrote it). Gamut's scripts check the types of the keys they will write before their first write,
/// so when this is thrown by a state change, nothing was changed. Fix or delete the key to go on.
/// </summary>
public sealed partial class RedisKeyTypeException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="key">The key.</param>
    /// <param name="actualType">The Redis type it holds (<c>string</c>, <c>list</c>, <c>hash</c>...).</param>
    /// <param name="expectedType">The Redis type Gamut keeps there.</param>
    /// <param name="innerException">The Redis client's own error, if any.</param>
    public RedisKeyTypeException(string key, string actualType, string expectedType, Exception? innerException = null)
        : base($"The Redis key {key} holds a {actualType}, but Gamut keeps a {expectedType} there; nothing was changed. Delete or fix the key (another client or an older version wrote it)", innerException)
    {
        Key = key;
        ActualType = actualType;
        ExpectedType = expectedType;
    }

    /// <summary>The key of the wrong type.</summary>
    public string Key { get; }

    /// <summary>The Redis type the key holds.</summary>
    public string ActualType { get; }

    /// <summary>The Redis type Gamut keeps there.</summary>
    public string ExpectedType { get; }

    /// <summary>
    /// The typed error for a script's refusal (the prelude's <c>expect</c>: <c>WRONGTYPE Gamut: the key K is a T,
    /// expected a E</c>), or null when <paramref name="e"/> is another error.
    /// </summary>
    internal static RedisKeyTypeException? From(Exception e)
    {
        if (e is RedisKeyTypeException typed)
        {
            return typed;
        }

        if (e is not RedisServerException || !e.Message.StartsWith(Marker, StringComparison.Ordinal))
        {
            return null;
        }

        var m = Refusal().Match(e.Message);
        return m.Success ? new RedisKeyTypeException(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, e) : null;
    }

    private const string Marker = "WRONGTYPE Gamut: ";

    [GeneratedRegex(@"^WRONGTYPE Gamut: the key (.+) is a (\w+), expected a (\w+)(?: script: |$)", RegexOptions.Singleline)]
    private static partial Regex Refusal();
}
