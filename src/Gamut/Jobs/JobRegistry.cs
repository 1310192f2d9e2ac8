using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Gamut.Jobs;

/// <summary>
/// The allow-list of jobs: stable names mapped to job types. Only a registered name runs; a name that is not
/// here is refused with <see cref="UnknownJobException"/>, and nothing is ever resolved by reflection from a
/// payload. Register jobs by hand (<see cref="Add{TJob, TIn, TOut}(string?)"/>) or by scanning an assembly for
/// <see cref="JobAttribute"/> (<see cref="AddAssembly(Assembly)"/>).
/// </summary>
/// <remarks>
/// Registration is thread-safe; lookups are lock-free. Every registry starts with the built-in command job,
/// <c>gamut.command</c> (<see cref="Commands.CommandJob"/>), so any executor can run a command.
/// </remarks>
public sealed class JobRegistry
{
    private readonly object _gate = new();
    private readonly List<Assembly> _assemblies = [];
    private FrozenDictionary<string, JobDescriptor> _jobs = FrozenDictionary<string, JobDescriptor>.Empty;

    /// <summary>Creates a registry holding only the built-in job <c>gamut.command</c>.</summary>
    public JobRegistry()
    {
        Add<Commands.CommandJob, Commands.CommandSpec, Commands.CommandOutcome>(static () => new Commands.CommandJob(), Commands.CommandJob.Name);
    }

    /// <summary>The registered names.</summary>
    public IReadOnlyCollection<string> Names => _jobs.Keys;

    /// <summary>The registered jobs.</summary>
    public IReadOnlyCollection<JobDescriptor> Jobs => _jobs.Values;

    /// <summary>The assemblies that registered jobs come from (what a worker process must load).</summary>
    public IReadOnlyList<Assembly> Assemblies
    {
        get
        {
            lock (_gate)
            {
                return [.. _assemblies];
            }
        }
    }

    /// <summary>Registers <typeparamref name="TJob"/>, created with its parameterless constructor for each run.</summary>
    /// <typeparam name="TJob">The job type.</typeparam>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    /// <param name="name">The name; by default the <see cref="JobAttribute"/> name, else the full type name.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="JobRegistrationException">The name is taken or invalid.</exception>
    public JobRegistry Add<TJob, TIn, TOut>(string? name = null)
        where TJob : IJob<TIn, TOut>, new() =>
        Add<TJob, TIn, TOut>(static () => Constructor<TJob>.Create(), name);

    /// <summary>Registers <typeparamref name="TJob"/>, created by <paramref name="factory"/> for each run.</summary>
    /// <typeparam name="TJob">The job type.</typeparam>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    /// <param name="factory">Creates an instance per run.</param>
    /// <param name="name">The name; by default the <see cref="JobAttribute"/> name, else the full type name.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="JobRegistrationException">The name is taken or invalid.</exception>
    public JobRegistry Add<TJob, TIn, TOut>(Func<TJob> factory, string? name = null)
        where TJob : IJob<TIn, TOut>
    {
        ArgumentNullException.ThrowIfNull(factory);
        name ??= JobNames.DefaultOf(typeof(TJob));
        if (!JobNames.IsValid(name))
        {
            throw new JobRegistrationException(
                $"'{name}' is not a valid job name (1 to {JobNames.MaxLength} ASCII letters, digits and . _ - : +); give {typeof(TJob).Name} a [Job(\"name\")] or pass a name");
        }

        Register(new JobDescriptor<TJob, TIn, TOut>(name, factory));
        return this;
    }

    /// <summary>
    /// Registers <typeparamref name="TJob"/>, built by <paramref name="activator"/> at each run and released when the run
    /// ends (a DI container's scope per run: Gamut.Extensions.Hosting).
    /// </summary>
    /// <typeparam name="TJob">The job type.</typeparam>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    /// <param name="activator">Builds an instance per run.</param>
    /// <param name="name">The name; by default the <see cref="JobAttribute"/> name, else the full type name.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="JobRegistrationException">The name is taken or invalid.</exception>
    /// <remarks>
    /// This activator does not cross to a process pool's workers: they build the job themselves, with its parameterless
    /// constructor, or with the activator their <see cref="Pool.ProcessPoolOptions.WorkerSetup"/> gives them.
    /// </remarks>
    public JobRegistry Add<TJob, TIn, TOut>(IJobActivator activator, string? name = null)
        where TJob : IJob<TIn, TOut>
    {
        ArgumentNullException.ThrowIfNull(activator);
        name ??= JobNames.DefaultOf(typeof(TJob));
        if (!JobNames.IsValid(name))
        {
            throw new JobRegistrationException(
                $"'{name}' is not a valid job name (1 to {JobNames.MaxLength} ASCII letters, digits and . _ - : +); give {typeof(TJob).Name} a [Job(\"name\")] or pass a name");
        }

        var activated = new ActivatedJob<TJob, TIn, TOut>(activator, name);
        Register(new JobDescriptor<TJob, TIn, TOut>(name, () => activated));
        return this;
    }

    /// <summary>
    /// Registers every public, non-abstract class in <paramref name="assembly"/> that carries <see cref="JobAttribute"/>,
    /// implements exactly one <see cref="IJob{TIn, TOut}"/> and has a public parameterless constructor.
    /// </summary>
    /// <param name="assembly">The assembly to scan (a trusted one: this is configuration, not payload).</param>
    /// <returns>This registry.</returns>
    /// <exception cref="JobRegistrationException">A marked type is not a valid job, or a name is taken.</exception>
    [RequiresUnreferencedCode("Scans the assembly for job types.")]
    [RequiresDynamicCode("Creates generic job descriptors at run time.")]
    public JobRegistry AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<JobAttribute>(inherit: false) is not null)
            {
                Add(type);
            }
        }

        lock (_gate)
        {
            if (!_assemblies.Contains(assembly))
            {
                _assemblies.Add(assembly);
            }
        }

        return this;
    }

    /// <summary>Registers a job type known only at run time (from trusted configuration, never from a payload).</summary>
    /// <param name="jobType">A public class implementing exactly one <see cref="IJob{TIn, TOut}"/> with a parameterless constructor.</param>
    /// <param name="name">The name; by default the <see cref="JobAttribute"/> name, else the full type name.</param>
    /// <returns>This registry.</returns>
    [RequiresUnreferencedCode("Inspects the job type's interfaces.")]
    [RequiresDynamicCode("Creates a generic job descriptor at run time.")]
    public JobRegistry Add(Type jobType, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(jobType);
        if (!jobType.IsClass || jobType.IsAbstract || jobType.ContainsGenericParameters)
        {
            throw new JobRegistrationException($"{jobType.FullName} is not a concrete class, so it cannot be a job");
        }

        var interfaces = jobType.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJob<,>))
            .ToArray();
        if (interfaces.Length != 1)
        {
            throw new JobRegistrationException(
                $"{jobType.FullName} must implement exactly one IJob<TIn, TOut>; it implements {interfaces.Length}");
        }

        if (jobType.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new JobRegistrationException($"{jobType.FullName} has no public parameterless constructor; register it with a factory");
        }

        var args = interfaces[0].GetGenericArguments();
        var method = typeof(JobRegistry).GetMethod(nameof(AddByReflection), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(jobType, args[0], args[1]);
        try
        {
            method.Invoke(this, [name]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }

        return this;
    }

    /// <summary>Finds a job by name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="descriptor">The job, when found.</param>
    /// <returns>Whether the name is registered.</returns>
    public bool TryGet(string name, [NotNullWhen(true)] out JobDescriptor? descriptor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _jobs.TryGetValue(name, out descriptor);
    }

    /// <summary>Finds a job by name.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="UnknownJobException">The name is not registered.</exception>
    public JobDescriptor Get(string name) =>
        TryGet(name, out var descriptor) ? descriptor : throw new UnknownJobException(name);

    /// <summary>Whether <paramref name="name"/> is registered.</summary>
    /// <param name="name">The name.</param>
    public bool Contains(string name) => _jobs.ContainsKey(name);

    private void AddByReflection<TJob, TIn, TOut>(string? name)
        where TJob : IJob<TIn, TOut>, new() => Add<TJob, TIn, TOut>(name);

    private void Register(JobDescriptor descriptor)
    {
        lock (_gate)
        {
            if (_jobs.TryGetValue(descriptor.Name, out var existing))
            {
                throw new JobRegistrationException(
                    $"The job name '{descriptor.Name}' is already registered to {existing.JobType.FullName}; {descriptor.JobType.FullName} cannot take it");
            }

            var jobs = new Dictionary<string, JobDescriptor>(_jobs, StringComparer.Ordinal) { [descriptor.Name] = descriptor };
            _jobs = jobs.ToFrozenDictionary(StringComparer.Ordinal);
            var assembly = descriptor.JobType.Assembly;
            if (!_assemblies.Contains(assembly))
            {
                _assemblies.Add(assembly);
            }
        }
    }

    // "new TJob()" under a new() constraint compiles to Activator.CreateInstance<TJob>(); where code can be
    // generated, an emitted constructor call is several times cheaper, and a job is created per run. The
    // delegate is made on first use (a pool's parent never creates its jobs) and with a DynamicMethod, which
    // costs far less at start-up than System.Linq.Expressions.
    private static class Constructor<TJob>
        where TJob : new()
    {
        public static readonly Func<TJob> Create = Make();

        [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only when dynamic code is compiled; otherwise the plain constructor call.")]
        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The constructor is the new() constraint's, so it is kept.")]
        private static Func<TJob> Make()
        {
            var ctor = typeof(TJob).GetConstructor(Type.EmptyTypes);
            if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled || typeof(TJob).IsValueType || ctor is null)
            {
                return static () => new TJob();
            }

            try
            {
                var method = new System.Reflection.Emit.DynamicMethod("new " + typeof(TJob).Name, typeof(TJob), Type.EmptyTypes, typeof(TJob).Module, skipVisibility: true);
                var il = method.GetILGenerator();
                il.Emit(System.Reflection.Emit.OpCodes.Newobj, ctor);
                il.Emit(System.Reflection.Emit.OpCodes.Ret);
                return method.CreateDelegate<Func<TJob>>();
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException or System.Security.SecurityException)
            {
                return static () => new TJob();
            }
        }
    }
}
