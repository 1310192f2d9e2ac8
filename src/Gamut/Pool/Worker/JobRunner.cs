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

        var results = new TOut[items.Length];
        List<ItemError>? errors = null;
        var token = work.Token;
        var sent = 0;
        var lastSent = Stopwatch.GetTimestamp();
        var lastCheck = lastSent;
        var checkedAt = 0;
        var nextCheck = 1;
        for (var i = 0; i < items.Length; i++)
        {
            if (token.IsCancellationRequested)
            {
                if (host.Terminating)
                {
                    // The worker is being stopped (another item's timeout, a recycle, a shutdown), not this map: send
                    // what ran and leave the rest unanswered; the pool runs them elsewhere once this worker has ended.
                    if (i > sent)
                    {
                        Send(host, work.Seq, results, sent, i, errors, final: false);
                    }

                    return;
                }

                errors ??= [];
                for (var j = i; j < items.Length; j++)
                {
                    errors.Add(new ItemError(j, ErrorCode.Cancelled, WorkerHost.CancelledError));
                }

                break;
            }

            host.Slot.Begin(work.Seq, i, work.Timed);
            var input = items[i];
            if (input is null && !_acceptsNull)
            {
                (errors ??= []).Add(new ItemError(i, ErrorCode.Serialization, NullInputError()));
            }
            else
            {
                try
                {
                    results[i] = Run(input, new WorkerJobContext(work.Id, i, Descriptor.Name, work.Attempt, token, host.Logger));
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    (errors ??= []).Add(new ItemError(i, ErrorCode.Cancelled, WorkerHost.CancelledError));
                }
                catch (Exception e)
                {
                    (errors ??= []).Add(new ItemError(i, ErrorCode.Failed, JobError.From(e)));
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
                    Send(host, work.Seq, results, sent, i + 1, errors, final: false);
                    sent = i + 1;
                    lastSent = now;
                }
            }
        }

        Send(host, work.Seq, results, sent, items.Length, errors, final: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TOut Run(TIn input, JobContext context)
    {
        var run = _create().RunAsync(input, context);
        // The job thread is the worker's own; waiting here for an asynchronous job blocks nothing else.
        return run.IsCompletedSuccessfully ? run.Result : run.AsTask().GetAwaiter().GetResult();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Send(WorkerHost host, long seq, TOut[] results, int start, int end, List<ItemError>? errors, bool final)
    {
        var segment = new ReadOnlySpan<TOut>(results, start, end - start);
        var inRange = errors?.FindAll(e => e.Index >= start && e.Index < end) ?? [];
        if (RawValues<TOut>.CanEncode(host.DefaultJson, segment))
        {
            host.AppendChunkResult(seq, start, end - start, final, raw: true, RawValues<TOut>.Bytes(segment), inRange);
            return;
        }

        var scratch = host.Scratch;
        scratch.ResetWrittenCount();
        var values = start == 0 && end == results.Length ? results : results[start..end];
        try
        {
            host.Serializer.Serialize(scratch, values);
        }
        catch (JobSerializationException)
        {
            // Find the results that do not serialize, fail only those, and send the others.
            for (var k = 0; k < values.Length; k++)
            {
                if (inRange.Exists(e => e.Index == start + k))
                {
                    continue;
                }

                try
                {
                    scratch.ResetWrittenCount();
                    host.Serializer.Serialize(scratch, values[k]);
                }
                catch (JobSerializationException e)
                {
                    inRange.Add(new ItemError(start + k, ErrorCode.Serialization, OutputError(e)));
                    values[k] = default!;
                }
            }

            scratch.ResetWrittenCount();
            try
            {
                host.Serializer.Serialize(scratch, values);
            }
            catch (JobSerializationException e)
            {
                // The array itself does not serialize (nor do we know why): every item of the range fails.
                scratch.ResetWrittenCount();
                inRange.Clear();
                for (var k = start; k < end; k++)
                {
                    inRange.Add(new ItemError(k, ErrorCode.Serialization, JobError.From(e)));
                }
            }
        }

        host.AppendChunkResult(seq, start, end - start, final, raw: false, scratch.WrittenSpan, inRange);
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
