using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// Parses <c>redis://</c> and <c>rediss://</c> (TLS) URLs into connection settings:
/// <c>redis[s]://[user[:password]@]host[:port][/db][?option=value&amp;…]</c>. User and password may be
/// percent-encoded; an IPv6 host goes in brackets (<c>[::1]</c>). Options: <c>timeout</c> (connect and command
/// timeout in ms), <c>ca</c> (a PEM file of the CA to trust, for TLS), <c>cert</c> and <c>key</c> (a client
/// certificate, PEM), <c>sni</c> (the TLS server name), <c>sentinel</c> (the hosts are Redis Sentinels and this is
/// the name of the monitored primary). A malformed URL is a <see cref="RedisUrlException"/> that
/// names the problem; the password never appears in a message.
/// </summary>
public static class RedisUrl
{
    /// <summary>The default Redis port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>Parses <paramref name="url"/>.</summary>
    /// <param name="url">The URL.</param>
    /// <exception cref="RedisUrlException">The URL is malformed.</exception>
    public static ConfigurationOptions Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new RedisUrlException(url ?? "", "the URL is empty");
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw new RedisUrlException(url, "expected redis://host[:port] or rediss://host[:port] (no scheme found)");
        }

        var scheme = url[..schemeEnd].ToLowerInvariant();
        var tls = scheme switch
        {
            "redis" => false,
            "rediss" => true,
            _ => throw new RedisUrlException(url, $"unknown scheme '{scheme}': use redis:// or rediss:// (TLS)"),
        };

        var rest = url[(schemeEnd + 3)..];
        string? query = null;
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        string? path = null;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest[(slash + 1)..];
            rest = rest[..slash];
        }

        string? user = null, password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            if (colon >= 0)
            {
                user = Decode(url, userInfo[..colon], "user name");
                password = Decode(url, userInfo[(colon + 1)..], "password");
                if (password.Length == 0)
                {
                    throw new RedisUrlException(url, "the password after ':' is empty (leave out ':@' for no password)");
                }
            }
            else
            {
                // redis://secret@host is how many tools write a password without a user.
                password = Decode(url, userInfo, "password");
            }

            if (user is { Length: 0 })
            {
                user = null;
            }
        }

        var (host, port) = ParseHostPort(url, rest);
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 5000,
            SyncTimeout = 5000,
            AsyncTimeout = 5000,
            ConnectRetry = 3,
            KeepAlive = 5,
            ClientName = "gamut",
            User = user,
            Password = password,
            Ssl = tls,
            ReconnectRetryPolicy = new ExponentialRetry(250, 5000),
        };
        options.EndPoints.Add(host, port);

        if (!string.IsNullOrEmpty(path))
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var db) || db > 10_000)
            {
                throw new RedisUrlException(url, $"'/{path}' is not a database number");
            }

            options.DefaultDatabase = db;
        }

        if (query is not null)
        {
            ApplyQuery(url, query, options);
        }

        if (tls && options.SslHost is null)
        {
            options.SslHost = host;
        }

        return options;
    }

    /// <summary>
    /// Parses a comma-separated list of instances: <c>redis://u:p@a:6379,b:6379,redis://c:6380</c>. An entry without
    /// a scheme takes the scheme, credentials, database and options of the first entry (every instance of a ring
    /// shares them); an entry with its own scheme stands alone. A password that contains a comma must be
    /// percent-encoded (<c>%2C</c>).
    /// </summary>
    /// <param name="urls">The list (one URL is a list of one).</param>
    /// <returns>One entry per instance, in order: its text and its settings, or the error that makes it unusable.</returns>
    /// <exception cref="RedisUrlException">The first entry is malformed (the others borrow from it) or the list is empty.</exception>
    public static IReadOnlyList<(string Url, ConfigurationOptions? Options, RedisUrlException? Error)> ParseList(string urls)
    {
        if (string.IsNullOrWhiteSpace(urls))
        {
            throw new RedisUrlException(urls ?? "", "the URL is empty");
        }

        var entries = urls.Split(',', StringSplitOptions.TrimEntries);
        var first = entries[0];
        Parse(first);
        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal);
        var at = first.LastIndexOf('@');
        var hostStart = at > schemeEnd ? at + 1 : schemeEnd + 3;
        var head = first[..hostStart];
        var tailStart = first.IndexOfAny(['/', '?'], hostStart);
        var tail = tailStart >= 0 ? first[tailStart..] : "";
        var list = new List<(string, ConfigurationOptions?, RedisUrlException?)>(entries.Length);
        foreach (var entry in entries)
        {
            var url = entry.Contains("://", StringComparison.Ordinal) ? entry : head + entry + tail;
            try
            {
                list.Add((Redact(url), entry.Length == 0 ? throw new RedisUrlException(urls, "an entry of the list is empty") : Parse(url), null));
            }
            catch (RedisUrlException e)
            {
                list.Add((Redact(url), null, e));
            }
        }

        return list;
    }

    /// <summary>The URL with its password replaced by <c>***</c>, for messages and logs.</summary>
    /// <param name="url">The URL.</param>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "";
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        if (schemeEnd < 0 || at < schemeEnd)
        {
            return url;
        }

        var userInfo = url[(schemeEnd + 3)..at];
        var colon = userInfo.IndexOf(':');
        var user = colon >= 0 ? userInfo[..colon] : "";
        return string.Concat(url.AsSpan(0, schemeEnd + 3), user, ":***", url.AsSpan(at));
    }

    private static (string Host, int Port) ParseHostPort(string url, string hostPort)
    {
        if (hostPort.Length == 0)
        {
            throw new RedisUrlException(url, "no host: expected redis://host[:port]");
        }

        string host;
        string? portText = null;
        if (hostPort[0] == '[')
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
            {
                throw new RedisUrlException(url, "an IPv6 address opened with '[' has no closing ']'");
            }

            host = hostPort[1..close];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new RedisUrlException(url, $"'[{host}]' is not an IPv6 address");
            }

            var after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw new RedisUrlException(url, $"unexpected '{after}' after the IPv6 address");
                }

                portText = after[1..];
            }
        }
        else
        {
            var colons = hostPort.Count(c => c == ':');
            if (colons > 1)
            {
                throw new RedisUrlException(url, $"'{hostPort}' looks like an IPv6 address: put it in brackets, e.g. redis://[::1]:6379");
            }

            var colon = hostPort.IndexOf(':');
            host = colon >= 0 ? hostPort[..colon] : hostPort;
            portText = colon >= 0 ? hostPort[(colon + 1)..] : null;
            if (host.Length == 0)
            {
                throw new RedisUrlException(url, "no host before the port");
            }

            if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw new RedisUrlException(url, $"'{host}' is not a host name or address");
            }
        }

        var port = DefaultPort;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new RedisUrlException(url, $"port '{portText}' is not a number from 1 to 65535");
            }
        }

        return (host, port);
    }

    private static void ApplyQuery(string url, string query, ConfigurationOptions options)
    {
        string? cert = null, key = null;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = eq >= 0 ? pair[..eq] : pair;
            var value = eq >= 0 ? Decode(url, pair[(eq + 1)..], name) : "";
            switch (name)
            {
                case "timeout":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms < 1)
                    {
                        throw new RedisUrlException(url, $"timeout '{value}' is not a positive number of milliseconds");
                    }

                    options.ConnectTimeout = ms;
                    options.SyncTimeout = ms;
                    options.AsyncTimeout = ms;
                    break;
                case "ca":
                    if (!File.Exists(value))
                    {
                        throw new RedisUrlException(url, $"the CA file '{value}' does not exist");
                    }

                    options.TrustIssuer(value);
                    break;
                case "cert":
                    cert = value;
                    break;
                case "key":
                    key = value;
                    break;
                case "sni":
                    options.SslHost = value;
                    break;
                case "sentinel":
                    if (!Keys.KeyNames.IsValidQueue(value))
                    {
                        throw new RedisUrlException(url, $"sentinel '{value}' is not a service name (ASCII letters, digits and . _ -)");
                    }

                    // The hosts are Sentinels; the client asks them for the primary of this service and follows fail-overs.
                    options.ServiceName = value;
                    break;
                default:
                    throw new RedisUrlException(url, $"unknown option '{name}' (known: timeout, ca, cert, key, sni, sentinel)");
            }
        }

        if (cert is not null || key is not null)
        {
            if (cert is null || key is null)
            {
                throw new RedisUrlException(url, "a client certificate needs both cert= and key=");
            }

            X509Certificate2 certificate;
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(cert, key);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
            {
                throw new RedisUrlException(url, $"the client certificate '{cert}' with key '{key}' could not be read: {e.Message}");
            }

            options.CertificateSelection += (_, _, _, _, _) => certificate;
        }
    }

    private static string Decode(string url, string text, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw new RedisUrlException(url, $"the {what} is not validly percent-encoded");
        }
    }
}
