using System.Security.Cryptography;

namespace Gamut.Jobs;

/// <summary>
/// Job ids: 26-character, time-ordered, Crockford base32 (the ULID layout: 48 bits of Unix milliseconds,
/// 80 random bits). Sorting ids sorts jobs by creation time; ids from many machines do not collide.
/// </summary>
public static class JobIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The longest id accepted from outside.</summary>
    public const int MaxLength = 200;

    /// <summary>A new id.</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)ms;
            ms >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return string.Create(26, bytes.ToArray(), static (chars, b) =>
        {
            // 128 bits as 26 base32 digits, most significant first (the first digit carries 3 bits).
            var hi = ((ulong)b[0] << 56) | ((ulong)b[1] << 48) | ((ulong)b[2] << 40) | ((ulong)b[3] << 32)
                   | ((ulong)b[4] << 24) | ((ulong)b[5] << 16) | ((ulong)b[6] << 8) | b[7];
            var lo = ((ulong)b[8] << 56) | ((ulong)b[9] << 48) | ((ulong)b[10] << 40) | ((ulong)b[11] << 32)
                   | ((ulong)b[12] << 24) | ((ulong)b[13] << 16) | ((ulong)b[14] << 8) | b[15];
            var value = new UInt128(hi, lo);
            for (var i = 25; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }

    /// <summary>
    /// Whether <paramref name="id"/> is acceptable as a job id from outside: 1 to 200 ASCII letters, digits
    /// and <c>. _ -</c>. No spaces, no <c>:</c>, no braces (which would confuse key names and Cluster hash tags).
    /// </summary>
    /// <param name="id">The candidate.</param>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
