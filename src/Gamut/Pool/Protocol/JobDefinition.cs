using Gamut.Jobs;

namespace Gamut.Pool.Protocol;

/// <summary>
/// How a worker finds a registered job: its name and where its type lives. This is trusted configuration from the
/// pool (taken from the application's own <see cref="JobRegistry"/>), never data from a job's payload.
/// </summary>
internal sealed record JobDefinition(string Name, string AssemblyPath, string AssemblyName, string TypeName, Guid Mvid)
{
    public static JobDefinition From(JobDescriptor descriptor)
    {
        var type = descriptor.JobType;
        var assembly = type.Assembly;
        return new JobDefinition(
            descriptor.Name,
            assembly.Location,
            assembly.FullName ?? assembly.GetName().Name ?? "",
            type.FullName ?? type.Name,
            assembly.ManifestModule.ModuleVersionId);
    }

    public void Write(FrameWriter w)
    {
        w.String(Name);
        w.String(AssemblyPath);
        w.String(AssemblyName);
        w.String(TypeName);
        Span<byte> guid = stackalloc byte[16];
        Mvid.TryWriteBytes(guid);
        w.Bytes(guid);
    }

    public static JobDefinition Read(ref FrameReader r) =>
        new(r.String(), r.String(), r.String(), r.String(), new Guid(r.Bytes()));
}

/// <summary>Writes and reads <see cref="JobError"/> fields.</summary>
internal static class JobErrorCodec
{
    public static void Write(FrameWriter w, JobError error)
    {
        w.String(error.Type);
        w.String(error.Message);
        w.String(error.StackTrace);
    }

    public static JobError Read(ref FrameReader r)
    {
        var type = r.String();
        var message = r.String();
        var stack = r.String();
        return new JobError(type, message, stack.Length == 0 ? null : stack);
    }
}
