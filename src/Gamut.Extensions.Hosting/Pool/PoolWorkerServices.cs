using Gamut.Jobs;
using Gamut.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// A process pool worker's own dependency-injection container: subclass it, register the services your pool jobs take
/// in <see cref="ConfigureServices"/>, and name the subclass in <see cref="ProcessPoolOptions.WorkerSetup"/> (or
/// <c>AddProcesses&lt;T&gt;()</c>, <c>AddRedisWorker&lt;T&gt;()</c>). Each worker process creates it at start and
/// builds its container once; every job run then gets a service scope of its own — constructor injection of
/// <c>ILogger&lt;T&gt;</c>, an <c>HttpClient</c> from <c>IHttpClientFactory</c>, your own services — disposed when the
/// run ends, whatever its outcome. Jobs need not be registered (a job type the container does not know is built from
/// the scope's services), nor have a parameterless constructor.
/// </summary>
/// <remarks>
/// The worker's container is not the host's: a worker is another process, started before (and without) the app's
/// <c>Main</c>, so register here what the jobs need, not the app's whole service collection. Logging is set up:
/// <c>ILogger&lt;T&gt;</c> records go to the pool's logger in the pool's process (at <c>Information</c> and above unless
/// you change it with <c>services.AddLogging(b =&gt; b.SetMinimumLevel(…))</c>). The subclass needs a public
/// parameterless constructor.
/// </remarks>
public abstract class PoolWorkerServices : IPoolWorkerSetup
{
    /// <summary>Registers the services the worker's jobs take (logging is already registered).</summary>
    /// <param name="services">The worker's service collection.</param>
    protected abstract void ConfigureServices(IServiceCollection services);

    /// <inheritdoc/>
    public IJobActivator CreateActivator(ILogger workerLogger)
    {
        ArgumentNullException.ThrowIfNull(workerLogger);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new WorkerLoggerProvider(workerLogger)));
        ConfigureServices(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        return new ServiceProviderJobActivator(provider.GetRequiredService<IServiceScopeFactory>());
    }

    /// <summary>Every category's records go to the worker's logger (and so to the pool), prefixed with the category.</summary>
    private sealed class WorkerLoggerProvider(ILogger workerLogger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CategoryLogger(workerLogger, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class CategoryLogger(ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            inner.Log(logLevel, eventId, (Category: category, Message: formatter(state, exception)), exception, static (s, _) => $"{s.Category}: {s.Message}");
        }
    }
}
