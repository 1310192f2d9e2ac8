using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gamut.Dashboard.Internal;

/// <summary>
/// Who may use the dashboard, and anti-forgery for its actions. Without a password, only loopback requests are served
/// (unless the app's own authorization guards the endpoints). With a password, a session cookie proves the sign-in:
/// an HMAC, under a key made at start, of the password hash (a new start, or a new password, ends every session).
/// Every action is a POST carrying a token (an HMAC of a random per-browser cookie) that only a page the dashboard
/// served can know; both cookies are HttpOnly and SameSite=Strict.
/// </summary>
internal sealed class Access
{
    public const string CsrfHeader = "X-Gamut-Csrf";
    private const string SessionCookie = "gamut-session";
    private const string SeedCookie = "gamut-csrf";
    private readonly DashboardOptions _options;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public Access(DashboardOptions options) => _options = options;

    /// <summary>Whether the dashboard signs in with a password.</summary>
    public bool UsesPassword => _options.PasswordHash is not null;

    /// <summary>Why this request may not see the dashboard (null when it may), and whether signing in would help.</summary>
    public (string? Refusal, bool SignIn) Check(HttpContext context)
    {
        if (_options.PasswordHash is not null)
        {
            return HasSession(context) ? (null, false) : ("Sign in with the dashboard's password.", true);
        }

        if (_options.RequireCredentials)
        {
            return ("This dashboard is reachable beyond loopback and has no password, so it serves nobody. Give it a password, or listen on 127.0.0.1.", false);
        }

        if (!_options.AllowRemoteRequests && !IsLoopback(context))
        {
            return ("This dashboard serves loopback requests only. Set a password, or guard it with the app's authorization and allow remote requests.", false);
        }

        return (null, false);
    }

    /// <summary>Checks a password and opens a session (sets the cookie); false when the password does not match.</summary>
    public bool SignIn(HttpContext context, string? password, string path)
    {
        if (_options.PasswordHash is not { } hash || !DashboardPassword.Verify(password, hash))
        {
            return false;
        }

        context.Response.Cookies.Append(SessionCookie, Mac("session:" + hash), Cookie(path));
        return true;
    }

    /// <summary>The anti-forgery token of this browser (setting its seed cookie when it has none) for the page to send with actions.</summary>
    public string CsrfToken(HttpContext context, string path)
    {
        var seed = context.Request.Cookies[SeedCookie];
        if (string.IsNullOrEmpty(seed) || seed.Length > 100)
        {
            seed = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
            context.Response.Cookies.Append(SeedCookie, seed, Cookie(path));
        }

        return Mac("csrf:" + seed);
    }

    /// <summary>Whether a POST carries this browser's anti-forgery token.</summary>
    public bool HasValidCsrf(HttpContext context)
    {
        var seed = context.Request.Cookies[SeedCookie];
        var sent = context.Request.Headers[CsrfHeader].ToString();
        return !string.IsNullOrEmpty(seed) && !string.IsNullOrEmpty(sent) && Same(sent, Mac("csrf:" + seed));
    }

    private bool HasSession(HttpContext context) =>
        context.Request.Cookies[SessionCookie] is { } s && Same(s, Mac("session:" + _options.PasswordHash));

    private static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);

    private string Mac(string value) => Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(value)));

    private static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static CookieOptions Cookie(string path) => new() { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = string.IsNullOrEmpty(path) ? "/" : path, IsEssential = true };
}
