using System.Buffers;
using Gamut.Jobs;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Worker;

/// <summary>
/// What the pool's Init frame tells a new worker — the largest payload, the serializer, the setup type and the
/// initializer — and the two steps that run before the worker says it is ready: the setup (its job activator) and
/// the initializer. Types named here are the pool's own configuration, given in code; never payload data.
/// </summary>
internal sealed class WorkerInit
{
    private WorkerInit(long maxPayload, IJobSerializer? serializer, string setupType, JobDefinition? initializer, byte[] initializerPayload)
    {
        MaxPayload = maxPayload;
        Serializer = serializer;
        SetupType = setupType;
        Initializer = initializer;
        InitializerPayload = initializerPayload;
    }

    /// <summary>The largest result the pool takes, in bytes.</summary>
    public long MaxPayload { get; }

    /// <summary>The pool's serializer, or null for <see cref="JsonJobSerializer.Default"/>.</summary>
    public IJobSerializer? Serializer { get; }

    /// <summary>The <see cref="IPoolWorkerSetup"/> type's assembly-qualified name, or empty.</summary>
    public string SetupType { get; }

    /// <summary>The job run once before the worker is ready, or null.</summary>
    public JobDefinition? Initializer { get; }

    public byte[] InitializerPayload { get; }

    /// <summary>Reads an Init frame's body.</summary>
    public static WorkerInit Read(ReadOnlySpan<byte> body)
    {
        var r = new FrameReader(body);
        var maxPayload = r.I64();
        var serializerType = r.String();
        var serializer = serializerType.Length > 0 ? CreateSerializer(serializerType) : null;
        var setupType = r.String();
        if (r.U8() == 0)
        {
            return new WorkerInit(maxPayload, serializer, setupType, null, []);
        }

        var definition = JobDefinition.Read(ref r);
        return new WorkerInit(maxPayload, serializer, setupType, definition, r.Bytes().ToArray());
    }

    /// <summary>Runs the setup (when there is one) and gives its activator to <paramref name="jobs"/>; the error when it failed.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2057", Justification = "The setup type is the pool's own configuration.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The pool checked the type's public parameterless constructor.")]
    public JobError? RunSetup(WorkerJobTable jobs, ILogger logger)
    {
        if (SetupType.Length == 0)
        {
            return null;
        }

        try
        {
            var type = Type.GetType(SetupType, throwOnError: true)!;
            var setup = (IPoolWorkerSetup)Activator.CreateInstance(type)!;
            jobs.Activator = setup.CreateActivator(logger)
                ?? throw new InvalidOperationException($"{type.FullName}.CreateActivator returned null");
            return null;
        }
        catch (Exception e)
        {
            var inner = e is System.Reflection.TargetInvocationException { InnerException: { } cause } ? cause : e;
            return new JobError(inner.GetType().FullName!, $"The worker setup {SetupType.Split(',')[0]} failed: {inner.Message}", inner.StackTrace);
        }
    }

    /// <summary>Runs the initializer (when there is one) with <paramref name="context"/>; the error when it failed.</summary>
    public JobError? RunInitializer(WorkerJobTable jobs, IJobSerializer serializer, WorkerJobContext context)
    {
        if (Initializer is null)
        {
            return null;
        }

        var job = jobs.Load(Initializer);
        if (job.LoadError is not null)
        {
            return job.LoadError;
        }

        try
        {
            job.Runner!.Descriptor.InvokeAsync(InitializerPayload, serializer, context, new ArrayBufferWriter<byte>()).AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return JobError.From(e);
        }
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2057", Justification = "The serializer type is the pool's own configuration.")]
    private static IJobSerializer CreateSerializer(string typeName)
    {
        var type = Type.GetType(typeName, throwOnError: true)!;
        return (IJobSerializer)Activator.CreateInstance(type)!;
    }
}
