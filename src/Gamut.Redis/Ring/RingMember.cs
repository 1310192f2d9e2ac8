using System.Globalization;
using System.Net;

namespace Gamut.Redis.Ring;

/// <summary>
/// The name of a ring member: <c>host:port</c> (an IPv6 address in brackets), host names in lower case. It is how
/// the member is stored in the topology, hashed onto the ring, and reached.
/// </summary>
public static class RingMember
{
    /// <summary>
    /// The member name of <paramref name="text"/>: <c>host:port</c>, <c>host</c> (port 6379), or a <c>redis://</c>
    /// URL (only its host and port are kept: every member of a ring shares the credentials and TLS settings).
    /// </summary>
    /// <param name="text">The instance.</param>
    /// <exception cref="ArgumentException">It is not a host and port.</exception>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
            var at = s.LastIndexOf('@');
            if (at >= 0)
            {
                s = s[(at + 1)..];
            }

            var end = s.IndexOfAny(['/', '?']);
            if (end >= 0)
            {
                s = s[..end];
            }
        }

        string host;
        string? port = null;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']');
            if (close < 0 || !IPAddress.TryParse(s[1..close], out _))
            {
                throw new ArgumentException($"'{text}' is not host:port (an IPv6 address goes in brackets: [::1]:6379)", nameof(text));
            }

            host = s[..(close + 1)];
            if (close + 1 < s.Length)
            {
                if (s[close + 1] != ':')
                {
                    throw new ArgumentException($"'{text}' is not host:port", nameof(text));
                }

                port = s[(close + 2)..];
            }
        }
        else
        {
            var colon = s.LastIndexOf(':');
            if (colon >= 0 && s.IndexOf(':') != colon)
            {
                throw new ArgumentException($"'{text}' looks like an IPv6 address: put it in brackets, e.g. [::1]:6379", nameof(text));
            }

            host = colon >= 0 ? s[..colon] : s;
            port = colon >= 0 ? s[(colon + 1)..] : null;
            if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw new ArgumentException($"'{text}' has no valid host", nameof(text));
            }
        }

        var number = 6379;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new ArgumentException($"'{text}': port '{port}' is not a number from 1 to 65535", nameof(text));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{host.ToLowerInvariant()}:{number}");
    }

    /// <summary>Whether <paramref name="text"/> is a valid member name or URL.</summary>
    /// <param name="text">The candidate.</param>
    /// <param name="name">Its member name, when valid.</param>
    public static bool TryNormalize(string? text, out string name)
    {
        name = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            name = Normalize(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The member name of a connection's endpoint.</summary>
    internal static string Of(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => Normalize($"{dns.Host}:{dns.Port}"),
        IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => Normalize($"[{ip.Address}]:{ip.Port}"),
        IPEndPoint ip => Normalize($"{ip.Address}:{ip.Port}"),
        _ => Normalize(endpoint.ToString() ?? ""),
    };

    /// <summary>Splits a member name into host and port.</summary>
    internal static (string Host, int Port) Split(string member)
    {
        var colon = member.LastIndexOf(':');
        var host = member[..colon];
        if (host.StartsWith('['))
        {
            host = host[1..^1];
        }

        return (host, int.Parse(member[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
