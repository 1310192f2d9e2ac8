using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>The engine's view of a map chunk: items that resolve one by one, by value or error.</summary>
internal interface IMapChunk
{
    string IdBase { get; }

    int Count { get; }

    bool IsResolved(int index);

    /// <summary>Delivers results for items [start, start + count), skipping those marked in <paramref name="skip"/>.</summary>
    void SetRange(int start, int count, ReadOnlySpan<byte> payload, bool raw, bool[]? skip);

    void SetItemError(int index, Exception error);

    /// <summary>The inputs [start, start + count) as a payload (raw when they can be); null when they do not serialize.</summary>
    byte[]? TrySerializeRange(int start, int count, out bool raw);

    /// <summary>The input of one item as a payload, or the serialization error.</summary>
    byte[]? TrySerializeItem(int index, out bool raw, out Exception? error);

    IResultSink ItemSink(int index);

    string ItemId(int index);
}

/// <summary>Told when a chunk has every item's outcome.</summary>
internal interface IChunkListener
{
    void ChunkDone(IMapChunk chunk);
}

/// <summary>A unit that carries items [Start, Start + Count) of a map chunk to a worker.</summary>
internal sealed class ChunkJob(int jobIndex, string name, int attempt, JobOptions options, byte[] payload, bool raw, IMapChunk chunk, int start, int count, CancellationToken mapToken)
    : PoolJob(jobIndex, name, chunk.IdBase, attempt, options, payload, raw)
{
    /// <summary>The map's token: retries and splits of this chunk's items are cancelled with the map.</summary>
    public CancellationToken MapToken { get; } = mapToken;

    public IMapChunk Chunk { get; } = chunk;

    public int Start { get; } = start;

    public int Count { get; } = count;

    public override bool IsChunk => true;

    public override int ItemCount => Count;

    /// <summary>The item whose timeout was already handled (failed or retried), so a crash does not handle it again; -1 when none.</summary>
    public int TimedOutItem { get; set; } = -1;
}

/// <summary>
/// A chunk of a map: its inputs, and each item's outcome as it arrives. Done when every item has a value or an
/// error; its listener (the map) is told, and yields its outcomes.
/// </summary>
internal sealed class MapChunk<TIn, TOut> : IMapChunk, IDispatchClock
{
    private const byte Pending = 0;
    private const byte HasValue = 1;
    private const byte HasError = 2;

    private readonly IMapHost _host;
    private readonly string _jobName;
    private readonly IChunkListener _listener;
    private readonly TOut[] _values;
    private readonly byte[] _states;
    private readonly Func<string> _newId;
    private Exception?[]? _errors;
    private string? _idBase;
    private int _remaining;
    private volatile bool _done;

    public MapChunk(IMapHost host, string jobName, Func<string> newId, long firstIndex, TIn[] inputs, int count, IChunkListener listener)
    {
        _host = host;
        _jobName = jobName;
        _newId = newId;
        _listener = listener;
        FirstIndex = firstIndex;
        Inputs = inputs;
        Count = count;
        _values = new TOut[count];
        _states = new byte[count];
        _remaining = count;
    }

    /// <summary>The id items' ids are made from (made when first needed).</summary>
    public string IdBase => _idBase ??= _newId();

    public long FirstIndex { get; }

    /// <summary>The inputs; only the first <see cref="Count"/> are this chunk's.</summary>
    public TIn[] Inputs { get; }

    public int Count { get; }

    public bool IsDone => _done;

    /// <summary>The results, by item (read once the chunk is done).</summary>
    public TOut[] Values => _values;

    /// <summary>Whether any item ended with an error (read once the chunk is done).</summary>
    public bool HasErrors => _errors is not null;

    /// <summary>When the chunk was first sent to a worker (Stopwatch ticks; 0 until then), to size later chunks.</summary>
    public long DispatchedAt { get; private set; }

    /// <summary>When its last item resolved (Stopwatch ticks).</summary>
    public long CompletedAt { get; private set; }

    public void Dispatched()
    {
        if (DispatchedAt == 0)
        {
            DispatchedAt = Stopwatch.GetTimestamp();
        }
    }

    public bool IsResolved(int index) => Volatile.Read(ref _states[index]) != Pending;

    /// <summary>The outcome of item <paramref name="index"/>; only once the chunk is done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public JobOutcome<TIn, TOut> Outcome(int index) =>
        _states[index] == HasError
            ? new JobOutcome<TIn, TOut>(FirstIndex + index, Inputs[index], _errors![index]!)
            : new JobOutcome<TIn, TOut>(FirstIndex + index, Inputs[index], _values[index]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SetRange(int start, int count, ReadOnlySpan<byte> payload, bool raw, bool[]? skip)
    {
        if (raw && skip is null && RawValues<TOut>.Supported)
        {
            // The common case: every result, raw, straight into place.
            lock (_states)
            {
                if (_states.AsSpan(start, count).IndexOfAnyExcept(Pending) < 0)
                {
                    try
                    {
                        RawValues<TOut>.DecodeInto(payload, _values.AsSpan(start, count));
                    }
                    catch (JobSerializationException e)
                    {
                        FailRangeLocked(start, count, null, e);
                        return;
                    }

                    _states.AsSpan(start, count).Fill(HasValue);
                    _remaining -= count;
                    if (_remaining == 0)
                    {
                        CompleteLocked();
                    }

                    return;
                }
            }
        }

        TOut[] values;
        try
        {
            values = raw ? RawValues<TOut>.Decode(payload, count) : _host.Serializer.Deserialize<TOut[]>(payload);
            if (values is null || values.Length != count)
            {
                throw new JobSerializationException($"expected {count} results, got {values?.Length ?? 0}");
            }
        }
        catch (JobSerializationException e)
        {
            lock (_states)
            {
                FailRangeLocked(start, count, skip, e);
            }

            return;
        }

        lock (_states)
        {
            for (var k = 0; k < count; k++)
            {
                if (skip?[k] != true)
                {
                    ResolveLocked(start + k, values[k], null);
                }
            }
        }
    }

    public void SetItemError(int index, Exception error)
    {
        lock (_states)
        {
            ResolveLocked(index, default!, error);
        }
    }

    public byte[]? TrySerializeRange(int start, int count, out bool raw)
    {
        var range = new ReadOnlySpan<TIn>(Inputs, start, count);
        raw = RawValues<TIn>.CanEncode(_host.DefaultJson, range);
        if (raw)
        {
            return RawValues<TIn>.ToArray(range);
        }

        try
        {
            return _host.Serializer.SerializeToArray(start == 0 && count == Inputs.Length ? Inputs : Inputs[start..(start + count)]);
        }
        catch (JobSerializationException)
        {
            return null;
        }
    }

    public byte[]? TrySerializeItem(int index, out bool raw, out Exception? error)
    {
        error = null;
        var one = new ReadOnlySpan<TIn>(Inputs, index, 1);
        raw = RawValues<TIn>.CanEncode(_host.DefaultJson, one);
        if (raw)
        {
            return RawValues<TIn>.ToArray(one);
        }

        try
        {
            return _host.Serializer.SerializeToArray(Inputs[index]);
        }
        catch (JobSerializationException e)
        {
            error = new JobSerializationException($"The input of job '{_jobName}' did not serialize: {e.Message}", e.InnerException ?? e);
            return null;
        }
    }

    public IResultSink ItemSink(int index) => new ItemResultSink(this, index);

    public string ItemId(int index) => string.Concat(IdBase, ".", index.ToString(CultureInfo.InvariantCulture));

    private void FailRangeLocked(int start, int count, bool[]? skip, JobSerializationException e)
    {
        for (var k = 0; k < count; k++)
        {
            if (skip?[k] != true)
            {
                ResolveLocked(start + k, default!, new JobSerializationException($"The result of job '{_jobName}' did not deserialize as {typeof(TOut).Name} in the pool: {e.Message}", e.InnerException ?? e));
            }
        }
    }

    private void ResolveLocked(int index, TOut value, Exception? error)
    {
        if (_states[index] != Pending)
        {
            return;
        }

        if (error is null)
        {
            _values[index] = value;
            Volatile.Write(ref _states[index], HasValue);
        }
        else
        {
            (_errors ??= new Exception?[Count])[index] = error;
            Volatile.Write(ref _states[index], HasError);
        }

        if (--_remaining == 0)
        {
            CompleteLocked();
        }
    }

    private void CompleteLocked()
    {
        CompletedAt = Stopwatch.GetTimestamp();
        _done = true;
        _listener.ChunkDone(this);
    }

    private sealed class ItemResultSink(MapChunk<TIn, TOut> chunk, int index) : IResultSink
    {
        public void SetResult(ReadOnlySpan<byte> payload, bool raw)
        {
            TOut value;
            try
            {
                value = raw ? RawValues<TOut>.DecodeOne(payload) : chunk._host.Serializer.Deserialize<TOut>(payload);
            }
            catch (JobSerializationException e)
            {
                chunk.SetItemError(index, new JobSerializationException($"The result of job '{chunk._jobName}' did not deserialize as {typeof(TOut).Name} in the pool: {e.Message}", e.InnerException ?? e));
                return;
            }

            lock (chunk._states)
            {
                chunk.ResolveLocked(index, value, null);
            }
        }

        public void SetError(Exception error) => chunk.SetItemError(index, error);
    }
}
