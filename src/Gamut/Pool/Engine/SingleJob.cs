using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool.Engine;

/// <summary>Receives the outcome of one job: deserializes its result, or takes its error.</summary>
internal interface IResultSink
{
    /// <summary>Delivers the result, serialized or raw (deserialization errors become the outcome).</summary>
    void SetResult(ReadOnlySpan<byte> payload, bool raw);

    void SetError(Exception error);
}

/// <summary>One job: submitted on its own, or one item of a map chunk sent alone (a retry, or a fallback).</summary>
internal sealed class SingleJob(int jobIndex, string name, string id, int attempt, JobOptions options, byte[] payload, bool raw, IResultSink sink)
    : PoolJob(jobIndex, name, id, attempt, options, payload, raw)
{
    public IResultSink Sink { get; } = sink;

    public override bool IsChunk => false;

    public override int ItemCount => 1;
}

/// <summary>The sink of a submitted job: a task for its caller.</summary>
internal sealed class SubmitSink<TOut>(IJobSerializer serializer, string jobName) : TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously), IResultSink
{
    public void SetResult(ReadOnlySpan<byte> payload, bool raw)
    {
        TOut value;
        try
        {
            value = raw ? Protocol.RawValues<TOut>.DecodeOne(payload) : serializer.Deserialize<TOut>(payload);
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

/// <summary>The sink of a job submitted as bytes (the Redis worker): the serialized result, as bytes.</summary>
internal sealed class SerializedSink() : TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously), IResultSink
{
    public void SetResult(ReadOnlySpan<byte> payload, bool raw)
    {
        if (raw)
        {
            TrySetException(new JobSerializationException("The worker answered raw bytes where serialized ones were asked for"));
            return;
        }

        TrySetResult(payload.ToArray());
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
