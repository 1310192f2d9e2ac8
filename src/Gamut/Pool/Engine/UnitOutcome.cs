using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>Delivering a unit's final outcome, once: who claims it, and what a worker's error code becomes.</summary>
internal static class UnitOutcome
{
    /// <summary>Claims the unit's outcome and ends its cancellation registration; false when someone else got there first.</summary>
    public static bool Finish(PoolJob job)
    {
        if (!job.TryFinish())
        {
            return false;
        }

        job.Registration.Dispose();
        return true;
    }

    /// <summary>Delivers a failure to whatever still waits on the unit (each unresolved item of a chunk); nothing when it was finished already.</summary>
    public static void DeliverError(PoolJob job, Exception error)
    {
        if (!Finish(job))
        {
            return;
        }

        switch (job)
        {
            case SingleJob single:
                PoolMetrics.Failed(job, 1, error);
                single.Sink.SetError(error);
                break;
            case ChunkJob chunk:
                var failed = 0;
                for (var i = chunk.Start; i < chunk.Start + chunk.Count; i++)
                {
                    if (!chunk.Chunk.IsResolved(i))
                    {
                        chunk.Chunk.SetItemError(i, error);
                        failed++;
                    }
                }

                PoolMetrics.Failed(job, failed, error);
                break;
        }
    }

    /// <summary>The <c>error.type</c> of a worker's error answer.</summary>
    public static string ErrorType(ErrorCode code) => code == ErrorCode.Cancelled ? "canceled" : "failed";

    /// <summary>The exception a worker's error answer becomes for the caller.</summary>
    public static Exception ToException(string name, string id, int attempts, ErrorCode code, JobError error) => code switch
    {
        ErrorCode.Failed => new JobFailedException(name, id, error, attempts),
        ErrorCode.Serialization => new JobSerializationException(error.Message),
        ErrorCode.Registration => new JobRegistrationException(error.Message),
        ErrorCode.Cancelled => new OperationCanceledException($"Job '{name}' ({id}) was cancelled"),
        _ => new JobRegistrationException($"Job '{name}' ({id}) could not run in the worker: {error.Message}"),
    };
}
