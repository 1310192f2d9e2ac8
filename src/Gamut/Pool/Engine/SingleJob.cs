using Gamut.Executors;

namespace Gamut.Pool.Engine;

/// <summary>Receives the outcome of one job: deserializes its result, or takes its error.</summary>
internal interface IResultSink
{
    /// <summary>Delivers the serialized result (deserialization errors become the outcome).</summary>
    void SetResult(ReadOnlySpan<byte> payload);

    void SetError(Exception error);
}

/// <summary>One job: submitted on its own, or one item of a map chunk sent alone (a retry, or a fallback).</summary>
internal sealed class SingleJob(int jobIndex, string name, string id, int attempt, JobOptions options, byte[] payload, IResultSink sink)
    : PoolJob(jobIndex, name, id, attempt, options, payload)
{
    public IResultSink Sink { get; } = sink;

    public override bool IsChunk => false;

    public override int ItemCount => 1;
}

/// <summary>The sink of a submitted job: a task for its caller.</summary>
internal sealed class SubmitSink<TOut>(ProcessPool pool, string jobName) : TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously), IResultSink
{
    public void SetResult(ReadOnlySpan<byte> payload)
    {
        TOut value;
        try
        {
            value = pool.Serializer.Deserialize<TOut>(payload);
        }
        catch (Jobs.JobSerializationException e)
        {
            TrySetException(new Jobs.JobSerializationException($"The result of job '{jobName}' did not deserialize as {typeof(TOut).Name} in the pool: {e.Message}", e.InnerException ?? e));
            return;
        }

        TrySetResult(value);
    }

    public void SetError(Exception error)
    {
        if (error is OperationCanceledException oce)
        {
            TrySetCanceled(oce.CancellationToken);
        }
        else
        {
            TrySetException(error);
        }
    }
}
