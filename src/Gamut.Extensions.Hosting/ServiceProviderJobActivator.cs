using System.Collections.Concurrent;
using Gamut.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// Builds each run's job in a service scope of its own, so a job's constructor takes scoped services (a
/// <c>DbContext</c>, an <c>HttpClient</c> from <c>IHttpClientFactory</c>, an <c>ILogger&lt;T&gt;</c>) and they are
/// disposed when the run ends, whatever its outcome. A job type the container does not know is built from the
/// scope's services all the same (its constructor's parameters resolved), as a pool worker's jobs are.
/// </summary>
/// <param name="scopes">The container's scope factory.</param>
internal sealed class ServiceProviderJobActivator(IServiceScopeFactory scopes) : IJobActivator
{
    private readonly ConcurrentDictionary<Type, ObjectFactory> _factories = new();

    public JobActivation Activate(Type jobType)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var services = scope.ServiceProvider;
            var job = services.GetService(jobType)
                ?? _factories.GetOrAdd(jobType, static t => ActivatorUtilities.CreateFactory(t, Type.EmptyTypes))(services, null);
            return new JobActivation(job, scope);
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }
}
