using Gamut.Redis.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Gamut.Dashboard.Tests.Infrastructure;

/// <summary>An ASP.NET Core app on a free loopback port with the dashboard mounted at <c>/gamut</c>, as a user's app would.</summary>
public sealed class DashboardSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardSite(WebApplication app, string url, DashboardOptions options)
    {
        _app = app;
        Url = url;
        Options = options;
    }

    /// <summary>The dashboard's address, e.g. <c>http://127.0.0.1:40123/gamut/</c>.</summary>
    public string Url { get; }

    public DashboardOptions Options { get; }

    public static async Task<DashboardSite> StartAsync(DashboardOptions options)
    {
        var port = RedisServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGamutDashboard("/gamut", options);
        await app.StartAsync();
        return new DashboardSite(app, $"http://127.0.0.1:{port}/gamut/", options);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
