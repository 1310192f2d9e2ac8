using System.Globalization;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool.Engine;

/// <summary>The engine's view of a map chunk: items that resolve one by one, by value or error.</summary>
internal interface IMapChunk
{
    string IdBase { get; }

    int Count { get; }

    bool IsResolved(int index);

    /// <summary>Delivers results for items [start, start + count), skipping those marked in <paramref name="skip"/>.</summary>
    void SetRange(int start, int count, ReadOnlySpan<byte> payload, bool[]? skip);

    void SetItemError(int index, Exception error);

    /// <summary>The serialized array of inputs [start, start + count); null when it does not serialize.</summary>
    byte[]? TrySerializeRange(int start, int count);

    /// <summary>The serialized input of one item, or the serialization error.</summary>
    byte[]? TrySerializeItem(int index, out Exception? error);

    IResultSink ItemSink(int index);

    string ItemId(int index);
}

/// <summary>A unit that carries items [Start, Start + Count) of a map chunk to a worker.</summary>
internal sealed class ChunkJob(int jobIndex, string name, int attempt, JobOptions options, byte[] payload, IMapChunk chunk, int start, int count, CancellationToken mapToken)
    : PoolJob(jobIndex, name, chunk.IdBase, attempt, options, payload)
{
    /// <summary>The map's token: retries and splits of this chunk's items are cancelled with the map.</summary>
    public CancellationToken MapToken { get; } = mapToken;

    public IMapChunk Chunk { get; } = chunk;

    public int Start { get; } = start;

    public int Count { get; } = count;

    public override bool IsChunk => true;

    public override int ItemCount => Count;
}

/// <summary>
/// A chunk of a map: its inputs, and each item's outcome as it arrives. Completes when every item has a value or
/// an error; the map then yields its outcomes.
/// </summary>
internal sealed class MapChunk<TIn, TOut> : IMapChunk, IDispatchClock
{
    private readonly IJobSerializer _serializer;
    private readonly string _jobName;
    private readonly TOut[] _values;
    private readonly Exception?[] _errors;
    private readonly bool[] _resolved;
    private int _remaining;

    public MapChunk(IJobSerializer serializer, string jobName, string idBase, long firstIndex, TIn[] inputs)
    {
        _serializer = serializer;
        _jobName = jobName;
        IdBase = idBase;
        FirstIndex = firstIndex;
        Inputs = inputs;
        _values = new TOut[inputs.Length];
        _errors = new Exception?[inputs.Length];
        _resolved = new bool[inputs.Length];
        _remaining = inputs.Length;
        if (_remaining == 0)
        {
            Done.TrySetResult();
        }
    }

    public string IdBase { get; }

    public long FirstIndex { get; }

    public TIn[] Inputs { get; }

    public int Count => Inputs.Length;

    /// <summary>When the chunk was first sent to a worker (Stopwatch ticks; 0 until then), to size later chunks.</summary>
    public long DispatchedAt { get; private set; }

    /// <summary>When its last item resolved (Stopwatch ticks).</summary>
    public long CompletedAt { get; private set; }

    public void Dispatched()
    {
        if (DispatchedAt == 0)
        {
            DispatchedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsResolved(int index) => Volatile.Read(ref _resolved[index]);

    public JobOutcome<TIn, TOut> Outcome(int index) =>
        _errors[index] is { } e
            ? new JobOutcome<TIn, TOut>(FirstIndex + index, Inputs[index], e)
            : new JobOutcome<TIn, TOut>(FirstIndex + index, Inputs[index], _values[index]);

    public void SetRange(int start, int count, ReadOnlySpan<byte> payload, bool[]? skip)
    {
        TOut[] values;
        try
        {
            values = _serializer.Deserialize<TOut[]>(payload);
            if (values is null || values.Length != count)
            {
                throw new JobSerializationException($"expected {count} results, got {values?.Length ?? 0}");
            }
        }
        catch (JobSerializationException e)
        {
            for (var k = 0; k < count; k++)
            {
                if (skip?[k] != true)
                {
                    SetItemError(start + k, new JobSerializationException($"The result of job '{_jobName}' did not deserialize as {typeof(TOut).Name} in the pool: {e.Message}", e.InnerException ?? e));
                }
            }

            return;
        }

        for (var k = 0; k < count; k++)
        {
            if (skip?[k] != true)
            {
                Resolve(start + k, values[k], null);
            }
        }
    }

    public void SetItemError(int index, Exception error) => Resolve(index, default!, error);

    public byte[]? TrySerializeRange(int start, int count)
    {
        try
        {
            return _serializer.SerializeToArray(start == 0 && count == Inputs.Length ? Inputs : Inputs[start..(start + count)]);
        }
        catch (JobSerializationException)
        {
            return null;
        }
    }

    public byte[]? TrySerializeItem(int index, out Exception? error)
    {
        try
        {
            error = null;
            return _serializer.SerializeToArray(Inputs[index]);
        }
        catch (JobSerializationException e)
        {
            error = new JobSerializationException($"The input of job '{_jobName}' did not serialize: {e.Message}", e.InnerException ?? e);
            return null;
        }
    }

    public IResultSink ItemSink(int index) => new ItemResultSink(this, index);

    public string ItemId(int index) => string.Concat(IdBase, ".", index.ToString(CultureInfo.InvariantCulture));

    private void Resolve(int index, TOut value, Exception? error)
    {
        lock (_resolved)
        {
            if (_resolved[index])
            {
                return;
            }

            _values[index] = value;
            _errors[index] = error;
            Volatile.Write(ref _resolved[index], true);
            if (--_remaining > 0)
            {
                return;
            }
        }

        CompletedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        Done.TrySetResult();
    }

    private sealed class ItemResultSink(MapChunk<TIn, TOut> chunk, int index) : IResultSink
    {
        public void SetResult(ReadOnlySpan<byte> payload)
        {
            TOut value;
            try
            {
                value = chunk._serializer.Deserialize<TOut>(payload);
            }
            catch (JobSerializationException e)
            {
                chunk.SetItemError(index, new JobSerializationException($"The result of job '{chunk._jobName}' did not deserialize as {typeof(TOut).Name} in the pool: {e.Message}", e.InnerException ?? e));
                return;
            }

            chunk.Resolve(index, value, null);
        }

        public void SetError(Exception error) => chunk.SetItemError(index, error);
    }
}
