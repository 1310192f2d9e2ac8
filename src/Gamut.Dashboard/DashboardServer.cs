using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Gamut.Dashboard;

/// <summary>
/// The dashboard as a small web server of its own: Kestrel on one address,
/// the dashboard at the root. An address that is not loopback requires the password.
/// </summary>
public static class DashboardServer
{
    /// <summary>The default address: loopback only.</summary>
    public const string DefaultListen = "127.0.0.1:8080";

    /// <summary>Parses <c>host:port</c> (an IP address; IPv6 in brackets) as an endpoint to listen on.</summary>
    /// <param name="listen">The address, e.g. <c>127.0.0.1:8080</c> or <c>[::1]:8080</c>.</param>
    /// <exception cref="ArgumentException">It is not an IP address and a port.</exception>
    public static IPEndPoint ParseListen(string listen)
    {
        if (!IPEndPoint.TryParse(listen ?? "", out var endpoint) || endpoint.Port == 0 || !(listen ?? "").Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{listen}' is not an address to listen on: use IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", nameof(listen));
        }

        return endpoint;
    }

    /// <summary>Runs the dashboard on <paramref name="listen"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="options">Redis and access options (credentials are required for any address other than loopback).</param>
    /// <param name="listen">Where to listen.</param>
    /// <param name="started">Called with the address once it listens.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    public static async Task RunAsync(DashboardOptions options, IPEndPoint listen, Action<string>? started = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(listen);
        if (!IPAddress.IsLoopback(listen.Address))
        {
            options = options.WithCredentialsRequired();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        await using var app = builder.Build();
        app.MapGamutDashboard("/", options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        started?.Invoke($"http://{listen}/");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
