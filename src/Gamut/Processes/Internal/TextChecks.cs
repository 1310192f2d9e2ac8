namespace Gamut.Processes.Internal;

/// <summary>What the kernel can carry: argv, envp and paths are NUL-terminated UTF-8.</summary>
internal static class TextChecks
{
    /// <summary>Throws <see cref="ArgumentException"/> if <paramref name="value"/> holds NUL or an unpaired surrogate.</summary>
    public static void Require(string value, string what, string paramName)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                throw new ArgumentException($"{what} contains a NUL character at index {i}; the operating system cannot pass it (execve strings end at NUL).", paramName);
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException($"{what} contains an unpaired UTF-16 surrogate at index {i}; it has no UTF-8 form.", paramName);
            }
        }
    }

    /// <summary>Throws unless <paramref name="name"/> is a usable environment variable name.</summary>
    public static void RequireEnvironmentName(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (name.Length == 0)
        {
            throw new ArgumentException("An environment variable name cannot be empty.", paramName);
        }

        if (name.Contains('=', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The environment variable name '{name}' contains '='; a name cannot, since '=' separates name from value.", paramName);
        }

        Require(name, $"The environment variable name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}'", paramName);
    }

    /// <summary>Quotes <paramref name="s"/> for display the way a POSIX shell would read it back.</summary>
    public static string ShellQuote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal)))
        {
            return s;
        }

        return "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
