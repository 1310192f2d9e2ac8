namespace Gamut.Executors;

/// <summary>
/// A map's input sequence, read one step at a time, synchronously or not: the one place that decides what an
/// exception from the sequence means. It ends the inputs and is kept, so the map reports it
/// (<see cref="MapInputException"/>, with <see cref="Read"/>) after the outcomes of the inputs before it; a cancelled
/// map is not an input error and propagates as such.
/// </summary>
/// <typeparam name="T">The input type.</typeparam>
internal sealed class MapInputs<T> : IAsyncDisposable
{
    private readonly IEnumerator<T>? _sync;
    private readonly IAsyncEnumerator<T>? _async;
    private readonly CancellationToken _token;

    /// <param name="sync">An in-memory sequence, read synchronously; or null.</param>
    /// <param name="async">An asynchronous sequence (when <paramref name="sync"/> is null); enumerated with <paramref name="token"/>.</param>
    /// <param name="token">The map's cancellation: when it is cancelled, an exception from the sequence is the cancellation.</param>
    public MapInputs(IEnumerable<T>? sync, IAsyncEnumerable<T>? async, CancellationToken token)
    {
        _token = token;
        if (sync is not null)
        {
            _sync = sync.GetEnumerator();
        }
        else
        {
            _async = (async ?? throw new ArgumentNullException(nameof(async))).GetAsyncEnumerator(token);
        }
    }

    /// <summary>Whether the inputs are read synchronously (<see cref="MoveNext"/>).</summary>
    public bool IsSynchronous => _sync is not null;

    /// <summary>Whether the sequence has ended (or threw).</summary>
    public bool Exhausted { get; private set; }

    /// <summary>What the sequence threw, if it did.</summary>
    public Exception? Error { get; private set; }

    /// <summary>How many inputs were read.</summary>
    public long Read { get; private set; }

    /// <summary>The input the last successful step read.</summary>
    public T Current { get; private set; } = default!;

    /// <summary>The map's error for a sequence that threw: after the outcomes of the <see cref="Read"/> inputs before it.</summary>
    public void ThrowIfFailed()
    {
        if (Error is not null)
        {
            throw new MapInputException(Read, Error);
        }
    }

    /// <summary>Reads the next input of a synchronous sequence; false at its end or when it threw.</summary>
    public bool MoveNext()
    {
        if (Exhausted)
        {
            return false;
        }

        bool more;
        try
        {
            more = _sync!.MoveNext();
        }
        catch (Exception e) when (!(e is OperationCanceledException && _token.IsCancellationRequested))
        {
            return Fail(e);
        }

        return Step(more, more ? _sync.Current : default!);
    }

    /// <summary>
    /// Reads the next input of an asynchronous sequence; false at its end or when it threw. The task is complete at
    /// once when the sequence had the input ready (a caller can tell a slow source by <c>IsCompleted</c>).
    /// </summary>
    public ValueTask<bool> MoveNextAsync()
    {
        if (Exhausted)
        {
            return new ValueTask<bool>(false);
        }

        ValueTask<bool> move;
        try
        {
            move = _async!.MoveNextAsync();
        }
        catch (Exception e) when (!(e is OperationCanceledException && _token.IsCancellationRequested))
        {
            return new ValueTask<bool>(Fail(e));
        }

        return move.IsCompletedSuccessfully ? new ValueTask<bool>(Step(move.Result, move.Result ? _async.Current : default!)) : AwaitAsync(move);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_async is not null)
        {
            await _async.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _sync!.Dispose();
        }
    }

    private async ValueTask<bool> AwaitAsync(ValueTask<bool> move)
    {
        bool more;
        try
        {
            more = await move.ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && _token.IsCancellationRequested))
        {
            return Fail(e);
        }

        return Step(more, more ? _async!.Current : default!);
    }

    private bool Step(bool more, T current)
    {
        if (!more)
        {
            Exhausted = true;
            return false;
        }

        Current = current;
        Read++;
        return true;
    }

    private bool Fail(Exception e)
    {
        Error = e;
        Exhausted = true;
        return false;
    }
}
