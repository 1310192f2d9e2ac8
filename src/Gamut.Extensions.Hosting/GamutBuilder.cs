using System.Diagnostics.CodeAnalysis;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// What <see cref="GamutServiceCollectionExtensions.AddGamut"/> configures: the jobs the container builds, the
/// executors (each an <see cref="IExecutor"/> keyed by its name, the first also unkeyed), and a hosted Redis worker.
/// </summary>
public sealed class GamutBuilder
{
    internal GamutBuilder(IServiceCollection services)
    {
        Services = services;
        Registrations = services.Where(d => d.ServiceType == typeof(GamutRegistrations)).Select(d => d.ImplementationInstance).OfType<GamutRegistrations>().FirstOrDefault()
            ?? new GamutRegistrations();
        if (!services.Any(d => d.ServiceType == typeof(GamutRegistrations)))
        {
            services.AddSingleton(Registrations);
            services.TryAddSingleton<IJobActivator>(sp => new ServiceProviderJobActivator(sp.GetRequiredService<Microsoft.Extensions.DependencyInjection.IServiceScopeFactory>()));
            services.TryAddSingleton(sp => Registrations.BuildRegistry(sp.GetRequiredService<IJobActivator>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GamutRedisSettings>, GamutSettingsValidation>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GamutWorkerSettings>, GamutSettingsValidation>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GamutExecutorSettings>, GamutSettingsValidation>());
        }
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    internal GamutRegistrations Registrations { get; }

    /// <summary>
    /// Registers <typeparamref name="TJob"/> as a scoped service and as a job: each run gets a new scope and an
    /// instance built by the container (constructor injection), disposed with the scope when the run ends.
    /// </summary>
    /// <typeparam name="TJob">The job type.</typeparam>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    /// <param name="name">The job's name; by default its <see cref="JobAttribute"/> name, else its full type name.</param>
    /// <returns>This builder.</returns>
    public GamutBuilder AddJob<TJob, TIn, TOut>(string? name = null)
        where TJob : class, IJob<TIn, TOut>
    {
        Services.TryAddScoped<TJob>();
        Registrations.Jobs.Add((registry, activator) => registry.Add<TJob, TIn, TOut>(activator, name));
        return this;
    }

    /// <summary>
    /// Adds a Threads executor named <paramref name="name"/> (settings from <c>Gamut:Executors:{name}</c>), resolvable
    /// as a keyed <see cref="IExecutor"/> and <see cref="IInProcessExecutor"/>, disposed with the host.
    /// </summary>
    /// <param name="name">Its name (the service key, its logger category's suffix and its telemetry tag).</param>
    /// <returns>This builder.</returns>
    public GamutBuilder AddThreads(string name = "threads") =>
        AddExecutor(name, (sp, settings, registry, logger) => new ThreadsExecutor(new ThreadsExecutorOptions
        {
            MaxConcurrency = settings.MaxConcurrency,
            Registry = registry,
            Logger = logger,
        }), inProcess: true);

    /// <summary>
    /// Adds a process pool named <paramref name="name"/> (settings from <c>Gamut:Executors:{name}</c>), resolvable as a
    /// keyed <see cref="IExecutor"/> and <see cref="ProcessPool"/>, stopped with the host. Its workers build jobs with
    /// their parameterless constructors (a worker process has no container of the host's); to build them through a
    /// container of the worker's own, use <see cref="AddProcesses{TWorkerServices}(string)"/>.
    /// </summary>
    /// <param name="name">Its name.</param>
    /// <returns>This builder.</returns>
    public GamutBuilder AddProcesses(string name = "processes") => AddPool(name, null);

    /// <summary>
    /// Adds a process pool as <see cref="AddProcesses(string)"/> does, whose workers each build a container of their
    /// own with <typeparamref name="TWorkerServices"/> and build every job run in a scope of it (constructor
    /// injection, one scope per run).
    /// </summary>
    /// <typeparam name="TWorkerServices">The worker's services (see <see cref="PoolWorkerServices"/>).</typeparam>
    /// <param name="name">Its name.</param>
    /// <returns>This builder.</returns>
    public GamutBuilder AddProcesses<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TWorkerServices>(string name = "processes")
        where TWorkerServices : PoolWorkerServices, new() => AddPool(name, typeof(TWorkerServices));

    private GamutBuilder AddPool(string name, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type? workerSetup)
    {
        AddExecutor(name, (sp, settings, registry, logger) => new ProcessPool(new ProcessPoolOptions
        {
            Workers = settings.Workers,
            Registry = registry,
            Logger = logger,
            WorkerSetup = workerSetup,
        }), inProcess: false);
        Services.AddKeyedSingleton(name, (sp, key) => (ProcessPool)sp.GetRequiredKeyedService<IExecutor>(key));
        Registrations.Pools.Add(name);
        return this;
    }

    /// <summary>
    /// Adds a Redis client named <paramref name="name"/> (settings from <c>Gamut:Redis</c>), connected and checked when
    /// the host starts, resolvable as a keyed <see cref="IExecutor"/> and <see cref="Gamut.Redis.RedisExecutor"/>,
    /// disposed with the host.
    /// </summary>
    /// <param name="name">Its name.</param>
    /// <returns>This builder.</returns>
    public GamutBuilder AddRedis(string name = "redis")
    {
        AddRedisSettings();
        Services.AddKeyedSingleton(name, (sp, _) => new Redis.GamutRedisClient(
            name,
            sp.GetRequiredService<IOptions<GamutRedisSettings>>().Value,
            LoggerFor(sp, "Gamut.Redis")));
        Services.AddSingleton<IHostedService>(sp => new Redis.GamutRedisClientStarter(sp.GetRequiredKeyedService<Redis.GamutRedisClient>(name)));
        Services.AddKeyedSingleton<IExecutor>(name, (sp, key) => sp.GetRequiredKeyedService<Redis.GamutRedisClient>(key).Executor);
        Services.AddKeyedSingleton(name, (sp, key) => sp.GetRequiredKeyedService<Redis.GamutRedisClient>(key).Executor);
        Registrations.RedisClients.Add(name);
        AddAlias(name);
        return this;
    }

    /// <summary>
    /// Runs a Redis worker as a hosted service (settings from <c>Gamut:Redis</c> and <c>Gamut:Worker</c>): it starts
    /// with the host, runs the jobs added with <see cref="AddJob{TJob, TIn, TOut}"/> (each built in a scope of its
    /// own), and stops gracefully with it.
    /// </summary>
    /// <returns>This builder.</returns>
    public GamutBuilder AddRedisWorker() => AddHostedRedisWorker(null);

    /// <summary>
    /// Runs a Redis worker as <see cref="AddRedisWorker()"/> does; with <c>Gamut:Worker:Isolation</c> =
    /// <c>Processes</c>, each of its pool's worker processes builds a container of its own with
    /// <typeparamref name="TWorkerServices"/> and builds every job run in a scope of it.
    /// </summary>
    /// <typeparam name="TWorkerServices">The pool workers' services (see <see cref="PoolWorkerServices"/>).</typeparam>
    /// <returns>This builder.</returns>
    public GamutBuilder AddRedisWorker<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TWorkerServices>()
        where TWorkerServices : PoolWorkerServices, new() => AddHostedRedisWorker(typeof(TWorkerServices));

    private GamutBuilder AddHostedRedisWorker([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type? workerSetup)
    {
        Registrations.RedisWorkerSetup = workerSetup ?? Registrations.RedisWorkerSetup;
        AddRedisSettings();
        Bind(Services.AddOptions<GamutWorkerSettings>(), GamutWorkerSettings.Section).ValidateOnStart();
        Services.TryAddSingleton<Redis.GamutRedisWorkerService>();
        Services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<Redis.GamutRedisWorkerService>());
        return this;
    }

    private void AddRedisSettings() =>
        Bind(Services.AddOptions<GamutRedisSettings>(), GamutRedisSettings.Section).ValidateOnStart();

    private GamutBuilder AddExecutor<TExecutor>(string name, Func<IServiceProvider, GamutExecutorSettings, JobRegistry, ILogger, TExecutor> create, bool inProcess)
        where TExecutor : class, IExecutor
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Bind(Services.AddOptions<GamutExecutorSettings>(name), $"{GamutExecutorSettings.Section}:{name}").ValidateOnStart();
        Services.AddKeyedSingleton<IExecutor>(name, (sp, _) => create(
            sp,
            sp.GetRequiredService<IOptionsMonitor<GamutExecutorSettings>>().Get(name),
            sp.GetRequiredService<JobRegistry>(),
            LoggerFor(sp, $"Gamut.Executors.{name}")));
        if (inProcess)
        {
            Services.AddKeyedSingleton(name, (sp, key) => (IInProcessExecutor)sp.GetRequiredKeyedService<IExecutor>(key));
        }

        AddAlias(name);
        return this;
    }

    // The first executor added is also the unkeyed IExecutor (the container hands out the same instance; disposing
    // an executor twice is harmless).
    private void AddAlias(string name) =>
        Services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IExecutor>(name));

    // From the host's configuration when there is one (a plain ServiceCollection may have none: then the defaults).
    private static OptionsBuilder<T> Bind<T>(OptionsBuilder<T> options, string section)
        where T : class =>
        options.Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(section).Bind(o));

    private static ILogger LoggerFor(IServiceProvider sp, string category) =>
        sp.GetService<ILoggerFactory>()?.CreateLogger(category) ?? NullLogger.Instance;
}

/// <summary>What every AddGamut call registered: jobs, pools and Redis clients (for the registry and health checks).</summary>
internal sealed class GamutRegistrations
{
    public List<Action<JobRegistry, IJobActivator>> Jobs { get; } = [];

    public List<string> Pools { get; } = [];

    public List<string> RedisClients { get; } = [];

    /// <summary>The hosted Redis worker's pool worker setup (with Processes isolation); none when null.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type? RedisWorkerSetup { get; set; }

    public JobRegistry BuildRegistry(IJobActivator activator)
    {
        var registry = new JobRegistry();
        foreach (var add in Jobs)
        {
            add(registry, activator);
        }

        return registry;
    }
}
