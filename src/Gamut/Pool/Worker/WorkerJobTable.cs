using System.Diagnostics.CodeAnalysis;
using System.Reflection;
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
    private readonly Dictionary<uint, WorkerJob> _jobs = [];
    private readonly JobRegistry _registry = new();

    public WorkerJob? Get(uint index) => _jobs.GetValueOrDefault(index);

    public WorkerJob Define(uint index, JobDefinition definition)
    {
        var job = Load(definition);
        _jobs[index] = job;
        return job;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Job types come from the application's own assemblies, which are not trimmed away.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Workers run on the JIT.")]
    public WorkerJob Load(JobDefinition definition)
    {
        try
        {
            var assembly = LoadAssembly(definition);
            if (assembly.ManifestModule.ModuleVersionId != definition.Mvid)
            {
                throw new JobRegistrationException(
                    $"The worker loaded {assembly.FullName} from {assembly.Location}, which is not the build the pool has " +
                    $"(module id {assembly.ManifestModule.ModuleVersionId} here, {definition.Mvid} in the pool): was it rebuilt while the pool ran?");
            }

            var type = assembly.GetType(definition.TypeName, throwOnError: false)
                ?? throw new JobRegistrationException($"The worker found no type {definition.TypeName} in {assembly.FullName}");
            if (!_registry.TryGet(definition.Name, out var descriptor))
            {
                _registry.Add(type, definition.Name);
                descriptor = _registry.Get(definition.Name);
            }

            return new WorkerJob(definition.Name, descriptor, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var error = e is JobRegistrationException
                ? new JobError(e.GetType().FullName!, e.Message)
                : new JobError(e.GetType().FullName!, $"The worker could not load job '{definition.Name}' ({definition.TypeName}): {e.Message}", e.StackTrace);
            return new WorkerJob(definition.Name, null, error);
        }
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

/// <summary>A job as the worker knows it: its descriptor, or why it could not be loaded.</summary>
internal sealed class WorkerJob(string name, JobDescriptor? descriptor, JobError? loadError)
{
    private IChunkRunner? _chunk;

    public string Name { get; } = name;

    public JobDescriptor? Descriptor { get; } = descriptor;

    public JobError? LoadError { get; } = loadError;

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Workers run on the JIT.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The generic arguments are the job's own types.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The generic arguments are the job's own types.")]
    public IChunkRunner Chunk => _chunk ??= (IChunkRunner)Activator.CreateInstance(
        typeof(ChunkRunner<,>).MakeGenericType(Descriptor!.InputType, Descriptor.OutputType), Descriptor)!;
}
