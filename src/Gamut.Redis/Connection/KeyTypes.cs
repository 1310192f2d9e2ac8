using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// Names the key behind Redis's own <c>WRONGTYPE</c> error (which does not say which key it was), so a person is
/// told which key to fix, of which type it is, and which type Gamut keeps there.
/// </summary>
internal static class KeyTypes
{
    /// <summary>Redis refused a command because a key holds another type (its own error, or a script's <c>expect</c>).</summary>
    public static bool IsWrongType(Exception e) => e is RedisServerException && e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    /// <summary>
    /// The typed error for the first of <paramref name="keys"/> that holds another type than expected (a missing
    /// key is fine), or null when each holds its type.
    /// </summary>
    public static async Task<RedisKeyTypeException?> FindAsync(IDatabaseAsync db, IEnumerable<(RedisKey Key, string Expected)> keys, Exception? cause, CancellationToken cancellationToken)
    {
        foreach (var (key, expected) in keys)
        {
            var type = await db.KeyTypeAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (type != RedisType.None && Name(type) != expected)
            {
                return new RedisKeyTypeException(key.ToString(), Name(type), expected, cause);
            }
        }

        return null;
    }

    /// <summary>Redis's name of a type, as TYPE replies it.</summary>
    public static string Name(RedisType type) => type switch
    {
        RedisType.String => "string",
        RedisType.List => "list",
        RedisType.Set => "set",
        RedisType.SortedSet => "zset",
        RedisType.Hash => "hash",
        RedisType.Stream => "stream",
        _ => type.ToString().ToLowerInvariant(),
    };
}
