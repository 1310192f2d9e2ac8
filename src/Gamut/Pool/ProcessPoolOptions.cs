using System.Diagnostics.CodeAnalysis;
using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool;

/// <summary>How a process pool runs. Immutable; derive variants with <c>with</c>.</summary>
public sealed record ProcessPoolOptions
{
    // Null: JsonJobSerializer.Default, made only when first needed (a pool of primitive-number jobs never needs it).
    private readonly IJobSerializer? _serializer;

    /// <summary>The defaults: one worker per core, no recycling, JSON, 1 s stop grace.</summary>
    public static ProcessPoolOptions Default { get; } = new();

    /// <summary>How many worker processes; the number of cores when null.</summary>
    public int? Workers { get; init; }

    /// <summary>The jobs the pool may run. Workers load the same jobs from the same assemblies.</summary>
    public JobRegistry? Registry { get; init; }

    /// <summary>
    /// Turns inputs and results into bytes. Workers need the same serializer, so it must be
    /// <see cref="JsonJobSerializer.Default"/> or of a type with a public parameterless constructor (the worker
    /// creates its own from the type).
    /// </summary>
    public IJobSerializer Serializer
    {
        get => _serializer ?? JsonJobSerializer.Default;
        init => _serializer = value ?? throw new ArgumentNullException(nameof(Serializer));
    }

    /// <summary>Whether the serializer is the default one (then primitive numbers travel raw, and none is made until needed).</summary>
    internal bool HasDefaultSerializer => _serializer is null || ReferenceEquals(_serializer, JsonJobSerializer.Default);

    /// <summary>Where the pool logs, and where workers' stdout, stderr and job logs are forwarded (tagged with the worker id).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Replace a worker after it has been given this many jobs (map items count one each); never when null.</summary>
    public int? MaxJobsPerWorker { get; init; }

    /// <summary>
    /// Replace a worker whose resident memory exceeds this many bytes, checked when its results arrive (between
    /// jobs, not during one: bound a single job with a cgroup); never when null.
    /// </summary>
    public long? MaxMemoryPerWorker { get; init; }

    /// <summary>A job each worker runs once at start; none when null.</summary>
    public WorkerInitializer? Initializer { get; init; }

    /// <summary>
    /// A class implementing <see cref="IPoolWorkerSetup"/>, with a public parameterless constructor, that each worker
    /// creates at start to get the <see cref="IJobActivator"/> building its jobs (through a DI container, say: one
    /// scope per run); with it, jobs need no parameterless constructor. None when null: a worker builds each job with
    /// the job's parameterless constructor.
    /// </summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type? WorkerSetup { get; init; }

    /// <summary>
    /// How long a worker that is being stopped (a timeout, a cancelled job that does not stop, a recycle) gets
    /// after SIGTERM before SIGKILL; also how long a cancelled job may take to stop before its worker is stopped.
    /// </summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a worker may take to start and run its initializer before it is killed and counted as failing to start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most workers that may fail to start within <see cref="RestartPeriod"/> before the pool stops restarting them (Erlang's intensity).</summary>
    public int RestartIntensity { get; init; } = 5;

    /// <summary>The window in which start failures are counted (Erlang's period).</summary>
    public TimeSpan RestartPeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest serialized input or result, in bytes; larger ones fail with <see cref="JobSerializationException"/>.</summary>
    public long MaxPayloadBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many of a worker's last stderr lines a crash report carries.</summary>
    public int StderrTailLines { get; init; } = 20;

    /// <summary>Extra environment variables for the workers (null values remove a variable).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Where Gamut.Worker.dll is; found next to the application or next to Gamut.dll when null.</summary>
    public string? WorkerAssemblyPath { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (Workers is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "A pool has 1 to 1024 workers.");
        }

        if (MaxJobsPerWorker is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxJobsPerWorker), MaxJobsPerWorker, "A worker takes at least one job before it is replaced.");
        }

        if (MaxMemoryPerWorker is < 16L * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMemoryPerWorker), MaxMemoryPerWorker, "A .NET worker needs more than 16 MiB; the limit is below what any worker uses at start.");
        }

        if (StopGracePeriod < TimeSpan.Zero || StartTimeout <= TimeSpan.Zero || RestartPeriod <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StopGracePeriod), "Grace periods cannot be negative; the start timeout and restart period must be positive.");
        }

        if (RestartIntensity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RestartIntensity), RestartIntensity, "The restart intensity cannot be negative.");
        }

        if (MaxPayloadBytes is < 1024 or > int.MaxValue - 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, "The payload limit is from 1 KiB to just under 2 GiB.");
        }

        if (StderrTailLines is < 0 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(StderrTailLines), StderrTailLines, "Keep 0 to 10,000 stderr lines.");
        }

        if (WorkerSetup is { } setup && (!typeof(IPoolWorkerSetup).IsAssignableFrom(setup) || !setup.IsClass || setup.IsAbstract || setup.ContainsGenericParameters || setup.GetConstructor(Type.EmptyTypes) is null))
        {
            throw new ArgumentException(
                $"ProcessPoolOptions.WorkerSetup must be a concrete class implementing IPoolWorkerSetup with a public parameterless constructor; {setup.FullName} is not",
                nameof(WorkerSetup));
        }

        if (!HasDefaultSerializer &&
            (Serializer is JsonJobSerializer || Serializer.GetType().GetConstructor(Type.EmptyTypes) is null))
        {
            throw new ArgumentException(
                $"Workers cannot rebuild a {Serializer.GetType().Name} instance: use JsonJobSerializer.Default, or wrap your serializer in a type with a public parameterless constructor",
                nameof(Serializer));
        }
    }
}
