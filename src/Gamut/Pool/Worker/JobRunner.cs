using System.Diagnostics;
using System.Runtime.CompilerServices;
using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Pool.Worker;

/// <summary>One unit of a <see cref="FrameType.Jobs"/> frame as the worker runs it.</summary>
internal readonly struct JobWork(long seq, string id, int attempt, JobFlags flags, int count, ReadOnlyMemory<byte> payload, CancellationToken token)
{
    public long Seq { get; } = seq;

    public string Id { get; } = id;

    public int Attempt { get; } = attempt;

    public JobFlags Flags { get; } = flags;

    /// <summary>How many inputs (1 for a single job).</summary>
    public int Count { get; } = count;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    public CancellationToken Token { get; } = token;

    public bool Raw => (Flags & JobFlags.RawInput) != 0;

    public bool Timed => (Flags & JobFlags.Timed) != 0;

    public bool SerializedResult => (Flags & JobFlags.SerializedResult) != 0;
}

/// <summary>Runs one registered job in the worker, typed: a single run, or every item of a map chunk.</summary>
internal interface IJobRunner
{
    JobDescriptor Descriptor { get; }

    void RunSingle(WorkerHost host, in JobWork work);

    void RunChunk(WorkerHost host, in JobWork work);
}

/// <summary>
/// Runs <typeparamref name="TIn"/> → <typeparamref name="TOut"/> jobs on the worker's job thread. Each run (each item
/// of a chunk too) is its own job: a new instance, its own context, its own error. A chunk's inputs and results
/// travel as one array each way (raw bytes for primitive numbers); a tiny item costs a job instance, a context and
/// a few stores into the slot, no clock read unless the job has a timeout.
/// </summary>
/// <param name="descriptor">The job.</param>
/// <param name="fastConstructor">Makes a faster way to create instances, for chunks (made on the first one, so a single run does not pay for it).</param>
internal sealed class JobRunner<TIn, TOut>(JobDescriptor descriptor, Func<Func<IJob<TIn, TOut>>>? fastConstructor = null) : IJobRunner
{
    // A long chunk sends what it has this often, so a crash late in it loses little and the pool can yield early.
    private static readonly long PartialEvery = Stopwatch.Frequency / 200;

    // How often (roughly) the time is looked at while a chunk runs.
    private static readonly long CheckEvery = Stopwatch.Frequency / 1000;

    private Func<IJob<TIn, TOut>> _create = descriptor.Typed<TIn, TOut>().Create;
    private Func<Func<IJob<TIn, TOut>>>? _fastConstructor = fastConstructor;
    private readonly bool _acceptsNull = descriptor.AcceptsNullInput;
    private TOut[]? _one;

    public JobDescriptor Descriptor { get; } = descriptor;

    public void RunSingle(WorkerHost host, in JobWork work)
    {
        // The slot says "running" before the input is even read: a crash while reading is this job's.
        host.Slot.Begin(work.Seq, 0, work.Timed);
        try
        {
            TIn input;
            try
            {
                input = work.Raw ? RawValues<TIn>.DecodeOne(work.Payload.Span) : host.Serializer.Deserialize<TIn>(work.Payload.Span);
            }
            catch (JobSerializationException e)
            {
                host.AppendError(work.Seq, ErrorCode.Serialization, InputError(e));
                return;
            }

            if (input is null && !_acceptsNull)
            {
                host.AppendError(work.Seq, ErrorCode.Serialization, NullInputError());
                return;
            }

            TOut result;
            try
            {
                result = Run(input, new WorkerJobContext(work.Id, Descriptor.Name, work.Attempt, work.Token, host.Logger));
            }
            catch (OperationCanceledException) when (work.Token.IsCancellationRequested)
            {
                host.AppendError(work.Seq, ErrorCode.Cancelled, WorkerHost.CancelledError);
                return;
            }
            catch (Exception e)
            {
                host.AppendError(work.Seq, ErrorCode.Failed, JobError.From(e));
                return;
            }

            if (!work.SerializedResult && RawValues<TOut>.CanEncode(host.DefaultJson, new ReadOnlySpan<TOut>(in result)))
            {
                host.AppendOk(work.Seq, RawValues<TOut>.Bytes(new ReadOnlySpan<TOut>(in result)), raw: true);
                return;
            }

            var scratch = host.Scratch;
            scratch.ResetWrittenCount();
            try
            {
                host.Serializer.Serialize(scratch, result);
            }
            catch (JobSerializationException e)
            {
                host.AppendError(work.Seq, ErrorCode.Serialization, OutputError(e));
                return;
            }

            if (scratch.WrittenCount > host.MaxPayload)
            {
                host.AppendError(work.Seq, ErrorCode.Serialization, new JobError(typeof(JobSerializationException).FullName!, $"The result of job '{Descriptor.Name}' is {scratch.WrittenCount} bytes, over the pool's limit of {host.MaxPayload}"));
                return;
            }

            host.AppendOk(work.Seq, scratch.WrittenSpan, raw: false);
        }
        finally
        {
            host.Slot.End();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RunChunk(WorkerHost host, in JobWork work)
    {
        // Item -1: reading the chunk. A crash here charges no item; the pool resends them one by one.
        host.Slot.Begin(work.Seq, -1, work.Timed);
        TIn[] items;
        try
        {
            items = work.Raw ? RawValues<TIn>.Decode(work.Payload.Span, work.Count) : host.Serializer.Deserialize<TIn[]>(work.Payload.Span);
            if (items is null || items.Length != work.Count)
            {
                throw new JobSerializationException($"A chunk of {work.Count} inputs of job '{Descriptor.Name}' arrived with {items?.Length ?? 0}");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            host.Slot.End();
            // The pool answers this by sending the chunk's inputs one by one, so the bad input is found and the rest run.
            host.AppendError(work.Seq, ErrorCode.Serialization, JobError.From(e));
            return;
        }

        host.Slot.End();
        if (_fastConstructor is { } fast)
        {
            _fastConstructor = null;
            _create = fast();
        }

        // Each item's result is committed to the journal before the next item starts, so a crash takes none with it:
        // primitive results one value at a time into an open entry, others as an entry of their own.
        var raw = RawValues<TOut>.Supported && host.DefaultJson;
        var itemSize = Unsafe.SizeOf<TOut>();
        if (raw)
        {
            host.OpenRaw(work.Seq, 0, itemSize);
        }

        var token = work.Token;
        var lastSent = Stopwatch.GetTimestamp();
        var lastCheck = lastSent;
        var checkedAt = 0;
        var nextCheck = 1;
        for (var i = 0; i < items.Length; i++)
        {
            if (token.IsCancellationRequested)
            {
                if (raw)
                {
                    host.CloseRaw(final: false);
                }

                if (host.Terminating)
                {
                    // The worker is being stopped (another item's timeout, a recycle, a shutdown), not this map: send
                    // what ran and leave the rest unanswered; the pool runs them elsewhere once this worker has ended.
                    host.Flush();
                    return;
                }

                var cancelled = new List<ItemError>(items.Length - i);
                for (var j = i; j < items.Length; j++)
                {
                    cancelled.Add(new ItemError(j, ErrorCode.Cancelled, WorkerHost.CancelledError));
                }

                host.AppendChunkResult(work.Seq, i, items.Length - i, final: true, raw: false, [], cancelled);
                return;
            }

            host.Slot.Begin(work.Seq, i, work.Timed);
            var input = items[i];
            ItemError? error = null;
            var result = default(TOut)!;
            if (input is null && !_acceptsNull)
            {
                error = new ItemError(i, ErrorCode.Serialization, NullInputError());
            }
            else
            {
                try
                {
                    result = Run(input, new WorkerJobContext(work.Id, i, Descriptor.Name, work.Attempt, token, host.Logger));
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    error = new ItemError(i, ErrorCode.Cancelled, WorkerHost.CancelledError);
                }
                catch (Exception e)
                {
                    error = new ItemError(i, ErrorCode.Failed, JobError.From(e));
                }
            }

            if (error is null && raw && RawValues<TOut>.CanEncode(true, new ReadOnlySpan<TOut>(in result)))
            {
                host.AddRaw(result, itemSize);
            }
            else
            {
                if (raw)
                {
                    host.CloseRaw(final: false);
                }

                if (error is null)
                {
                    AppendItem(host, work.Seq, i, result);
                }
                else
                {
                    host.AppendChunkResult(work.Seq, i, 1, final: false, raw: false, [], [error]);
                }

                if (raw)
                {
                    host.OpenRaw(work.Seq, i + 1, itemSize);
                }
            }

            host.Slot.End();
            if (i + 1 >= nextCheck && i + 1 < items.Length)
            {
                // Look at the clock about once a millisecond, however long the items take.
                var now = Stopwatch.GetTimestamp();
                var perItem = Math.Max(1, (now - lastCheck) / Math.Max(1, i + 1 - checkedAt));
                nextCheck = i + 1 + (int)Math.Clamp(CheckEvery / perItem, 1, 4096);
                lastCheck = now;
                checkedAt = i + 1;
                if (now - lastSent >= PartialEvery)
                {
                    // A long chunk sends what it has, so the pool can yield early.
                    if (raw)
                    {
                        host.CloseRaw(final: false);
                    }

                    host.Flush();
                    if (raw)
                    {
                        host.OpenRaw(work.Seq, i + 1, itemSize);
                    }

                    lastSent = now;
                }
            }
        }

        if (raw)
        {
            host.CloseRaw(final: true);
        }
        else
        {
            host.AppendChunkResult(work.Seq, items.Length, 0, final: true, raw: false, [], null);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TOut Run(TIn input, JobContext context)
    {
        var run = _create().RunAsync(input, context);
        // The job thread is the worker's own; waiting here for an asynchronous job blocks nothing else.
        return run.IsCompletedSuccessfully ? run.Result : run.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One item's result as an entry of its own: a serialized array of one (the chunk's wire format).</summary>
    private void AppendItem(WorkerHost host, long seq, int index, TOut result)
    {
        var one = _one ??= new TOut[1];
        one[0] = result;
        var scratch = host.Scratch;
        scratch.ResetWrittenCount();
        try
        {
            host.Serializer.Serialize(scratch, one);
        }
        catch (JobSerializationException e)
        {
            host.AppendChunkResult(seq, index, 1, final: false, raw: false, [], [new ItemError(index, ErrorCode.Serialization, OutputError(e))]);
            return;
        }
        finally
        {
            one[0] = default!;
        }

        if (scratch.WrittenCount > host.MaxPayload)
        {
            host.AppendChunkResult(seq, index, 1, final: false, raw: false, [], [new ItemError(index, ErrorCode.Serialization, new JobError(typeof(JobSerializationException).FullName!, $"The result of job '{Descriptor.Name}' is {scratch.WrittenCount} bytes, over the pool's limit of {host.MaxPayload}"))]);
            return;
        }

        host.AppendChunkResult(seq, index, 1, final: false, raw: false, scratch.WrittenSpan, null);
    }

    private JobError InputError(JobSerializationException e) =>
        new(typeof(JobSerializationException).FullName!, $"The input of job '{Descriptor.Name}' did not deserialize as {typeof(TIn).Name}: {e.Message}", e.StackTrace);

    private JobError OutputError(JobSerializationException e) =>
        new(typeof(JobSerializationException).FullName!, $"The result of job '{Descriptor.Name}' did not serialize as {typeof(TOut).Name}: {e.Message}", e.StackTrace);

    private JobError NullInputError() =>
        new(typeof(JobSerializationException).FullName!, $"The input of job '{Descriptor.Name}' is null, and the job takes a non-null {typeof(TIn).Name}");
}

/// <summary>Why one item of a chunk has no result.</summary>
internal sealed record ItemError(int Index, ErrorCode Code, JobError Error);
