using Gamut.Dashboard.Internal;
using Gamut.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Dashboard;

/// <summary>Mounts the dashboard in an ASP.NET Core app: <c>app.MapGamutDashboard("/gamut", options)</c>.</summary>
public static class DashboardEndpoints
{
    /// <summary>
    /// Maps the dashboard's page, its live feed (Server-Sent Events), its reads and its actions under
    /// <paramref name="prefix"/>. One poller reads Redis for every browser; it stops when the app stops. Without a
    /// password only loopback requests are served; to serve others, apply the app's authorization policy to the
    /// returned builder (<c>.RequireAuthorization("ops")</c>) and set <see cref="DashboardOptions.AllowRemoteRequests"/>.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">Where to mount it, e.g. <c>/gamut</c> (empty or <c>/</c> for the root).</param>
    /// <param name="options">Redis and access options.</param>
    /// <returns>The group of the dashboard's endpoints, for the app's conventions (authorization, rate limits).</returns>
    public static IEndpointConventionBuilder MapGamutDashboard(this IEndpointRouteBuilder endpoints, string prefix, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        var path = "/" + (prefix ?? "").Trim('/');
        var services = endpoints.ServiceProvider;
        var log = services.GetService<ILoggerFactory>()?.CreateLogger("Gamut.Dashboard") ?? NullLogger.Instance;
        var hub = new DashboardHub(options, log);
        var access = new Access(options);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(() => hub.DisposeAsync().AsTask().GetAwaiter().GetResult());
        var api = new DashboardApi(hub, access, options, path == "/" ? "" : path);
        var group = endpoints.MapGroup(path == "/" ? "" : path);
        group.MapGet("/", api.PageAsync);

        // "/" also answers the prefix without its slash (routing ignores a trailing slash); the page uses absolute paths.
        group.MapGet("/assets/{name}", api.AssetAsync);
        group.MapPost("/login", api.LoginAsync);
        group.MapGet("/api/overview", api.OverviewAsync);
        group.MapGet("/api/events", api.EventsAsync);
        group.MapGet("/api/jobs", api.JobsAsync);
        group.MapGet("/api/job", api.JobAsync);
        group.MapGet("/api/find", api.FindAsync);
        group.MapPost("/api/actions/{action}", api.ActionAsync);
        return group;
    }
}
