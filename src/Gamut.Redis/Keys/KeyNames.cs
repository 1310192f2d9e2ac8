namespace Gamut.Redis.Keys;

/// <summary>Rules for the names that go into keys: prefixes, queue names, worker ids.</summary>
public static class KeyNames
{
    /// <summary>The longest queue name.</summary>
    public const int MaxQueueLength = 100;

    /// <summary>The default queue.</summary>
    public const string DefaultQueue = "default";

    /// <summary>Whether <paramref name="prefix"/> is a valid key prefix: 1 to 64 ASCII letters, digits and <c>. _ - :</c>.</summary>
    /// <param name="prefix">The candidate.</param>
    public static bool IsValidPrefix(string? prefix) => IsValid(prefix, 64, allowColon: true);

    /// <summary>
    /// Whether <paramref name="queue"/> is a valid queue name: 1 to 100 ASCII letters, digits and <c>. _ -</c>
    /// (no braces, which would change the Cluster hash tag; no spaces or colons).
    /// </summary>
    /// <param name="queue">The candidate.</param>
    public static bool IsValidQueue(string? queue) => IsValid(queue, MaxQueueLength, allowColon: false);

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="queue"/> is not a valid queue name.</summary>
    /// <param name="queue">The candidate.</param>
    public static void ValidateQueue(string? queue)
    {
        if (!IsValidQueue(queue))
        {
            throw new ArgumentException($"'{queue}' is not a valid queue name: use 1 to {MaxQueueLength} ASCII letters, digits and . _ -", nameof(queue));
        }
    }

    /// <summary>Whether <paramref name="id"/> is a valid job id: 1 to 200 ASCII letters, digits and <c>. _ -</c>.</summary>
    /// <param name="id">The candidate.</param>
    public static bool IsValidJobId(string? id) => IsValid(id, 200, allowColon: false);

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="id"/> is not a valid job id.</summary>
    /// <param name="id">The candidate.</param>
    public static void ValidateJobId(string? id)
    {
        if (!IsValidJobId(id))
        {
            throw new ArgumentException($"'{id}' is not a valid job id: use 1 to 200 ASCII letters, digits and . _ -", nameof(id));
        }
    }

    private static bool IsValid(string? s, int max, bool allowColon)
    {
        if (string.IsNullOrEmpty(s) || s.Length > max)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' || (allowColon && c == ':')))
            {
                return false;
            }
        }

        return true;
    }
}
