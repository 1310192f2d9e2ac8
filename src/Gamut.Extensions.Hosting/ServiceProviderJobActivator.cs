using Gamut.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// Builds each run's job in a service scope of its own, so a job's constructor takes scoped services (a
/// <c>DbContext</c>, an <c>HttpClient</c> from <c>IHttpClientFactory</c>, an <c>ILogger&lt;T&gt;</c>) and they are
/// disposed when the run ends, whatever its outcome.
/// </summary>
/// <param name="scopes">The container's scope factory.</param>
internal sealed class ServiceProviderJobActivator(IServiceScopeFactory scopes) : IJobActivator
{
    public JobActivation Activate(Type jobType)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            return new JobActivation(scope.ServiceProvider.GetRequiredService(jobType), scope);
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }
}
