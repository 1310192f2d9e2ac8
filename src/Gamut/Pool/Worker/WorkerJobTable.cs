using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>
/// The jobs a worker has been told about, by the index the pool gave each. A job is loaded from its assembly when
/// it is defined (from the pool's trusted registry, by path, never from a payload); a job that cannot be loaded is
/// remembered with its error, so every run of it fails with that error and the worker keeps serving.
/// </summary>
internal sealed class WorkerJobTable
{
    private static readonly MethodInfo CreateRunnerMethod =
        typeof(WorkerJobTable).GetMethod(nameof(CreateRunner), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo CreateActivatedRunnerMethod =
        typeof(WorkerJobTable).GetMethod(nameof(CreateActivatedRunner), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Dictionary<uint, WorkerJob> _jobs = [];
    private readonly Dictionary<string, IJobRunner> _runners = new(StringComparer.Ordinal);

    public WorkerJob? Get(uint index) => _jobs.GetValueOrDefault(index);

    /// <summary>What builds every job in this worker (from the pool's <see cref="ProcessPoolOptions.WorkerSetup"/>); null: each job's parameterless constructor.</summary>
    public IJobActivator? Activator { get; set; }

    public WorkerJob Define(uint index, JobDefinition definition)
    {
        var job = Load(definition);
        _jobs[index] = job;
        return job;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Job types come from the application's own assemblies, which are not trimmed away.")]
    [UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "The generic arguments are the job's own types.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The job type's interfaces are read, as the registry does.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Workers run on the JIT.")]
    public WorkerJob Load(JobDefinition definition)
    {
        try
        {
            if (_runners.TryGetValue(definition.Name, out var known))
            {
                return new WorkerJob(definition.Name, known, null);
            }

            var assembly = LoadAssembly(definition);
            if (assembly.ManifestModule.ModuleVersionId != definition.Mvid)
            {
                throw new JobRegistrationException(
                    $"The worker loaded {assembly.FullName} from {assembly.Location}, which is not the build the pool has " +
                    $"(module id {assembly.ManifestModule.ModuleVersionId} here, {definition.Mvid} in the pool): was it rebuilt while the pool ran?");
            }

            var type = assembly.GetType(definition.TypeName, throwOnError: false)
                ?? throw new JobRegistrationException($"The worker found no type {definition.TypeName} in {assembly.FullName}");

            // The checks the registry makes (the pool's registry made them too, on the same type).
            Type? contract = null;
            foreach (var i in type.GetInterfaces())
            {
                if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJob<,>))
                {
                    contract = contract is null ? i : throw new JobRegistrationException($"{type.FullName} must implement exactly one IJob<TIn, TOut>");
                }
            }

            if (contract is null || !type.IsClass || type.IsAbstract || type.ContainsGenericParameters)
            {
                throw new JobRegistrationException($"{type.FullName} is not a concrete class implementing IJob<TIn, TOut>, so it cannot be a job");
            }

            if (Activator is null && type.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new JobRegistrationException($"{type.FullName} has no public parameterless constructor, which a job needs to run in a worker process (or give the pool a ProcessPoolOptions.WorkerSetup that builds it)");
            }

            var args = contract.GetGenericArguments();
            IJobRunner runner;
            try
            {
                runner = Activator is { } activator
                    ? (IJobRunner)CreateActivatedRunnerMethod.MakeGenericMethod(type, args[0], args[1]).Invoke(null, [definition.Name, activator])!
                    : (IJobRunner)CreateRunnerMethod.MakeGenericMethod(type, args[0], args[1]).Invoke(null, [definition.Name])!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }

            _runners[definition.Name] = runner;
            return new WorkerJob(definition.Name, runner, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var error = e is JobRegistrationException
                ? new JobError(e.GetType().FullName!, e.Message)
                : new JobError(e.GetType().FullName!, $"The worker could not load job '{definition.Name}' ({definition.TypeName}): {e.Message}", e.StackTrace);
            return new WorkerJob(definition.Name, null, error);
        }
    }

    private static IJobRunner CreateRunner<TJob, TIn, TOut>(string name)
        where TJob : IJob<TIn, TOut>, new() =>
        new JobRunner<TIn, TOut>(new JobDescriptor<TJob, TIn, TOut>(name, static () => new TJob()), ConstructorOf<TJob, TIn, TOut>);

    /// <summary>A runner whose every run (every map item) is built by <paramref name="activator"/> and released after it.</summary>
    private static IJobRunner CreateActivatedRunner<TJob, TIn, TOut>(string name, IJobActivator activator)
        where TJob : IJob<TIn, TOut>
    {
        // One wrapper serves every run: each RunAsync activates its own instance and releases it (a DI scope) after.
        var activated = new ActivatedJob<TJob, TIn, TOut>(activator, name);
        return new JobRunner<TIn, TOut>(new JobDescriptor<TJob, TIn, TOut>(name, () => activated));
    }

    /// <summary>
    /// A delegate that runs the job type's parameterless constructor directly: a job instance per run (per map item
    /// too) then costs its allocation, not a trip through <c>Activator</c> as <c>new TJob()</c> in generic code does.
    /// </summary>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Workers run on the JIT; without dynamic code it falls back to new TJob().")]
    private static Func<IJob<TIn, TOut>> ConstructorOf<TJob, TIn, TOut>()
        where TJob : IJob<TIn, TOut>, new()
    {
        var constructor = typeof(TJob).GetConstructor(Type.EmptyTypes);
        if (constructor is null || typeof(TJob).IsValueType || !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled)
        {
            return static () => new TJob();
        }

        var method = new DynamicMethod("new " + typeof(TJob).Name, typeof(IJob<TIn, TOut>), Type.EmptyTypes, typeof(TJob).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Newobj, constructor);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<Func<IJob<TIn, TOut>>>();
    }

    private static Assembly LoadAssembly(JobDefinition definition)
    {
        // The application's own assemblies are on the worker's trusted list (it runs with the application's
        // deps.json): load by name, so the worker shares them exactly as the parent does. An assembly the parent
        // loaded from elsewhere is loaded from the same path.
        foreach (var loaded in AssemblyLoadContext.Default.Assemblies)
        {
            if (loaded.FullName == definition.AssemblyName)
            {
                return loaded;
            }
        }

        try
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(definition.AssemblyName));
        }
        catch (FileNotFoundException) when (definition.AssemblyPath.Length > 0)
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyPath(definition.AssemblyPath);
        }
    }
}

/// <summary>A job as the worker knows it: how to run it, or why it could not be loaded.</summary>
internal sealed class WorkerJob(string name, IJobRunner? runner, JobError? loadError)
{
    public string Name { get; } = name;

    public IJobRunner? Runner { get; } = runner;

    public JobError? LoadError { get; } = loadError;
}
