using Microsoft.Extensions.DependencyInjection;

namespace Gamut.Extensions.Hosting;

/// <summary>Adds Gamut to a service collection.</summary>
public static class GamutServiceCollectionExtensions
{
    /// <summary>
    /// Adds Gamut: a <see cref="Gamut.Jobs.JobRegistry"/> whose jobs the container builds (one scope per run), and
    /// what <paramref name="configure"/> adds — executors, a Redis client, a hosted Redis worker. Settings come from the
    /// <c>Gamut</c> configuration section and are checked when the host starts. Calling it again adds to the same setup.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.Services.AddGamut(gamut => gamut
    ///     .AddJob&lt;SendInvoice, int, string&gt;()
    ///     .AddRedis()
    ///     .AddRedisWorker());
    /// </code>
    /// </example>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds jobs and executors.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddGamut(this IServiceCollection services, Action<GamutBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new GamutBuilder(services);
        configure?.Invoke(builder);
        return services;
    }
}
