namespace Gamut.Redis.Worker;

/// <summary>An outcome to record with the complete script.</summary>
internal readonly record struct Completion(TakenJob Job, string Kind, byte[] Body, byte[] Arg, TaskCompletionSource<string> Verdict)
{
    public static Completion Create(TakenJob job, string kind, byte[]? body = null, byte[]? arg = null) =>
        new(job, kind, body ?? [], arg ?? [], new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
}
