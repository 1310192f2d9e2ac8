using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gamut.Dashboard;

/// <summary>The dashboard's password hashes: PBKDF2-SHA256 with a random salt, <c>pbkdf2-sha256$iterations$salt$hash</c> (base64).</summary>
public static class DashboardPassword
{
    private const int Iterations = 100_000;

    /// <summary>Hashes a password for <see cref="DashboardOptions.PasswordHash"/>.</summary>
    /// <param name="password">The password (at least 8 characters).</param>
    /// <exception cref="ArgumentException">The password is shorter than 8 characters.</exception>
    public static string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length < 8)
        {
            throw new ArgumentException("A dashboard password has at least 8 characters", nameof(password));
        }

        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/> (compared in constant time).</summary>
    /// <param name="password">The password given.</param>
    /// <param name="hash">The stored hash.</param>
    public static bool Verify(string? password, string hash)
    {
        if (password is null || !TryParse(hash, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Returns <paramref name="hash"/> when it is a hash this class made, else throws.</summary>
    /// <param name="hash">The candidate.</param>
    /// <exception cref="ArgumentException">It is not <c>pbkdf2-sha256$iterations$salt$hash</c>.</exception>
    public static string Validate(string hash) =>
        TryParse(hash, out _, out _, out _) ? hash : throw new ArgumentException("Not a dashboard password hash: expected pbkdf2-sha256$iterations$salt$hash (from DashboardPassword.Hash)", nameof(hash));

    private static bool TryParse(string? hash, out int iterations, out byte[] salt, out byte[] expected)
    {
        iterations = 0;
        salt = expected = [];
        var parts = hash?.Split('$');
        if (parts is not ["pbkdf2-sha256", var n, var s, var h] || !int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations is < 1000 or > 10_000_000)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(s);
            expected = Convert.FromBase64String(h);
            return salt.Length >= 8 && expected.Length >= 16;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
