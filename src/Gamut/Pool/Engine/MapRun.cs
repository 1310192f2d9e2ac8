using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Pool.Engine;

/// <summary>What a map needs from its pool.</summary>
internal interface IMapHost
{
    IJobSerializer Serializer { get; }

    /// <summary>Whether the serializer is the default one (primitive numbers then travel raw).</summary>
    bool DefaultJson { get; }

    int Workers { get; }

    string NewId();

    /// <summary>Checks the job and returns its index in the pool's job table.</summary>
    int Prepare<TIn, TOut>(JobRef<TIn, TOut> job);

    /// <summary>
    /// Takes chunks into the pool (a failure to take one becomes its items' errors) and sends what can be sent;
    /// <paramref name="quick"/> chunks may share a frame.
    /// </summary>
    void SubmitChunks(List<IMapChunk> chunks, int jobIndex, JobOptions options, bool quick, PoolTrace? trace, CancellationToken token);
}

/// <summary>
/// One enumeration of a map: reads inputs up to the window, cuts them into chunks, sends them, and yields each
/// item's outcome, in order or as chunks complete. Hand-written rather than an async iterator: an item costs a
/// step through an array, and the asynchronous path is taken once per chunk, not once per item.
/// </summary>
/// <remarks>Single consumer (as every async enumerator). Chunks complete on the pool's reader threads, which only
/// signal; the consumer's continuation runs on the thread pool, never on a reader thread.</remarks>
internal sealed class MapRun<TIn, TOut> : IAsyncEnumerator<JobOutcome<TIn, TOut>>, IChunkListener, IValueTaskSource<bool>
{
    private readonly IMapHost _host;

    // The caller's trace context when the map started: every chunk carries it to its worker.
    private readonly PoolTrace? _trace;
    private readonly JobRef<TIn, TOut> _job;
    private readonly MapOptions _options;
    private readonly JobOptions _jobOptions;
    private readonly CancellationToken _token;
    private readonly CancellationToken _enumeratorToken;
    private readonly CancellationTokenSource _stop;
    private readonly ChunkSizer _sizer;
    private readonly MapInputs<TIn> _source;
    private readonly Queue<MapChunk<TIn, TOut>> _sent = new();
    private readonly Queue<MapChunk<TIn, TOut>> _completed = new();
    private readonly List<IMapChunk> _cut = [];
    private readonly object _gate = new();
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private MapChunk<TIn, TOut>? _waitFor;
    private int _done;
    private int _wakeAt = 1;
    private MapChunk<TIn, TOut>? _chunk;
    private int _position;

    // The chunk being yielded, unpacked for the per-item path.
    private TIn[] _inputs = [];
    private TOut[] _values = [];
    private int _count;
    private long _first;
    private bool _errors;
    private JobOutcome<TIn, TOut> _current;
    private TIn[]? _buffer;
    private int _buffered;
    private long _inFlight;
    private int _outstanding;
    private int _jobIndex = -1;
    private bool _finished;
    private bool _disposed;

    // token: the map's; enumeratorToken: the enumeration's (WithCancellation). Either cancels the map.
    public MapRun(IMapHost host, JobRef<TIn, TOut> job, IEnumerable<TIn>? syncInputs, IAsyncEnumerable<TIn>? asyncInputs, MapOptions options, CancellationToken token, CancellationToken enumeratorToken)
    {
        _host = host;
        _trace = PoolTrace.Capture();
        _job = job;
        _options = options;
        _jobOptions = options.Job with { Id = null };
        _token = token;
        _enumeratorToken = enumeratorToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(token, enumeratorToken);
        _sizer = new ChunkSizer(options.ChunkSize);
        _source = new MapInputs<TIn>(syncInputs, asyncInputs, _stop.Token);
    }

    // The per-item path is compiled optimized at once: it is generic over the job's types (no ready-to-run code),
    // and a map of tiny jobs would otherwise spend its first few hundred milliseconds in unoptimized code.
    public JobOutcome<TIn, TOut> Current
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => _current;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<bool> MoveNextAsync()
    {
        var i = _position + 1;
        if (i < _count)
        {
            _position = i;
            _current = _errors ? _chunk!.Outcome(i) : new JobOutcome<TIn, TOut>(_first + i, _inputs[i], _values[i]);
            return new ValueTask<bool>(true);
        }

        return MoveNextSlowAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _finished = true;
        // Ending early (a break, an error, a cancel) cancels the chunks still queued or running.
        await _stop.CancelAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);

        _stop.Dispose();
    }

    void IChunkListener.ChunkDone(IMapChunk chunk)
    {
        Wake((MapChunk<TIn, TOut>)chunk);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);

    private async ValueTask<bool> MoveNextSlowAsync()
    {
        if (_chunk is not null)
        {
            _chunk = null;
            _inputs = [];
            _values = [];
            _count = 0;
        }

        if (_finished)
        {
            return false;
        }

        try
        {
            if (_jobIndex < 0)
            {
                _jobIndex = _host.Prepare(_job);
            }

            await FillAsync().ConfigureAwait(false);
            if (_outstanding == 0)
            {
                _finished = true;
                _source.ThrowIfFailed();

                ThrowIfCancelled();
                return false;
            }

            var next = await NextDoneAsync().ConfigureAwait(false);
            _outstanding--;
            _inFlight -= next.Count;
            _sizer.Observe(next.Count, next.DispatchedAt, next.CompletedAt);
            _chunk = next;
            _position = 0;
            _inputs = next.Inputs;
            _values = next.Values;
            _count = next.Count;
            _first = next.FirstIndex;
            _errors = next.HasErrors;
            _current = next.Outcome(0);
            return true;
        }
        catch
        {
            _finished = true;
            throw;
        }
    }

    private static readonly TimeSpan QuickWindow = TimeSpan.FromMilliseconds(2);

    private int Window()
    {
        if (_options.MaxInFlight is { } max)
        {
            return max;
        }

        // Three chunks per worker. Quick chunks: about 2 ms of work per worker in flight (and at least 64 inputs),
        // which the pool sends several chunks to a frame: one write, one read and one wake-up for many.
        var workers = (long)_host.Workers;
        var window = Math.Max(2 * workers, (long)_sizer.Size * workers * 3);
        if (_sizer.ItemsAreFast)
        {
            // (At most 16 chunks per worker: inputs held for a map stay bounded however quick its items look.)
            window = Math.Max(window, workers * Math.Max(64, Math.Min(_sizer.ItemsIn(QuickWindow), 16L * _sizer.Size)));
        }

        return (int)Math.Min(int.MaxValue, window);
    }

    /// <summary>Reads inputs while the window has room, cutting them into chunks, and sends the chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ValueTask FillAsync()
    {
        var window = Window();
        if (_sizer.ItemsAreFast && _inFlight > window / 2)
        {
            // Quick chunks: refill in batches (half a window at a time), so they travel several to a frame.
            return ValueTask.CompletedTask;
        }

        var size = Math.Max(1, Math.Min(_sizer.Size, window));
        if (!_source.IsSynchronous)
        {
            return FillFromAsyncSourceAsync(window, size);
        }

        while (_inFlight + _buffered < window && _source.MoveNext())
        {
            Add(_source.Current, size);
        }

        Cut();
        Send();
        return ValueTask.CompletedTask;
    }

    private async ValueTask FillFromAsyncSourceAsync(int window, int size)
    {
        while (!_source.Exhausted && _inFlight + _buffered < window)
        {
            var move = _source.MoveNextAsync();
            if (!move.IsCompleted)
            {
                // The source is slow: send what we have rather than hold it back for a full chunk.
                Cut();
                Send();
            }

            if (!await move.ConfigureAwait(false))
            {
                break;
            }

            Add(_source.Current, size);
        }

        Cut();
        Send();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Add(TIn input, int size)
    {
        var buffer = _buffer ??= new TIn[size];
        if (_buffered == buffer.Length)
        {
            Array.Resize(ref _buffer, size);
            buffer = _buffer;
        }

        buffer[_buffered++] = input;
        if (_buffered >= size)
        {
            Cut();
        }
    }

    private void Cut()
    {
        if (_buffered == 0)
        {
            return;
        }

        var chunk = new MapChunk<TIn, TOut>(_host, _job.Name, _host.NewId, _source.Read - _buffered, _buffer!, _buffered, this);
        _buffer = null;
        _buffered = 0;
        _inFlight += chunk.Count;
        _outstanding++;
        if (_options.Ordered)
        {
            _sent.Enqueue(chunk);
        }

        _cut.Add(chunk);
    }

    private void Send()
    {
        if (_cut.Count == 0)
        {
            return;
        }

        try
        {
            _host.SubmitChunks(_cut, _jobIndex, _jobOptions, _sizer.ItemsAreFast, _trace, _stop.Token);
        }
        finally
        {
            _cut.Clear();
        }
    }

    private async ValueTask<MapChunk<TIn, TOut>> NextDoneAsync()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_options.Ordered ? _sent.Peek().IsDone : _completed.Count > 0)
                {
                    _done--;
                    return _options.Ordered ? _sent.Dequeue() : _completed.Dequeue();
                }
            }

            await WaitAsync(_options.Ordered ? _sent.Peek() : null).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until <paramref name="chunk"/> is done (any chunk when null) or the map is cancelled. With quick chunks,
    /// until about half a window of them is done: the consumer then takes several per wake-up (a wake-up, a hop to the
    /// thread pool, costs more than a quick chunk's work).
    /// </summary>
    private async ValueTask WaitAsync(MapChunk<TIn, TOut>? chunk)
    {
        short version;
        var wakeAt = _sizer.ItemsAreFast ? Math.Clamp(Window() / 2 / Math.Max(1, _sizer.Size), 1, _outstanding) : 1;
        lock (_gate)
        {
            if ((chunk is not null ? chunk.IsDone : _completed.Count > 0) && _done >= wakeAt)
            {
                return;
            }

            _wakeAt = wakeAt;
            _signal.Reset();
            version = _signal.Version;
            _waiting = true;
            _waitFor = chunk;
        }

        // A cancelled map's chunks are failed at once, so a wait ends on its own; the registration is a safety net.
        using (_stop.Token.UnsafeRegister(static s => ((MapRun<TIn, TOut>)s!).Wake(null), this))
        {
            await new ValueTask<bool>(this, version).ConfigureAwait(false);
        }

        ThrowIfCancelled();
    }

    private void ThrowIfCancelled()
    {
        _token.ThrowIfCancellationRequested();
        _enumeratorToken.ThrowIfCancellationRequested();
    }

    private void Wake(MapChunk<TIn, TOut>? done)
    {
        lock (_gate)
        {
            if (done is not null)
            {
                // Counted and queued together, under the lock the consumer takes them under.
                _done++;
                if (!_options.Ordered)
                {
                    _completed.Enqueue(done);
                }
            }

            if (!_waiting || (done is not null && ((_waitFor is not null && !_waitFor.IsDone) || _done < _wakeAt)))
            {
                return;
            }

            _waiting = false;
            _waitFor = null;
            _signal.SetResult(true);
        }
    }
}
