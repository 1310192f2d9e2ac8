using System.Buffers;

namespace Gamut.Jobs;

/// <summary>
/// A registered job: its name, its types, and how to create and invoke it. Obtained from a <see cref="JobRegistry"/>.
/// </summary>
public abstract class JobDescriptor
{
    private protected JobDescriptor(string name) => Name = name;

    /// <summary>The registered name.</summary>
    public string Name { get; }

    /// <summary>The job's type.</summary>
    public abstract Type JobType { get; }

    /// <summary>The job's input type.</summary>
    public abstract Type InputType { get; }

    /// <summary>The job's output type.</summary>
    public abstract Type OutputType { get; }

    /// <summary>
    /// Whether the job takes a null input: true when its input type is nullable (a <c>Nullable&lt;T&gt;</c>, or a
    /// reference type the job's <c>RunAsync</c> declares with <c>?</c>, or code without nullable annotations).
    /// Executors refuse a null input to a job that does not take one, before it runs.
    /// </summary>
    public abstract bool AcceptsNullInput { get; }

    /// <summary>Creates an instance of the job, typed.</summary>
    /// <typeparam name="TIn">The expected input type.</typeparam>
    /// <typeparam name="TOut">The expected output type.</typeparam>
    /// <exception cref="JobRegistrationException">The job does not take <typeparamref name="TIn"/> and give <typeparamref name="TOut"/>.</exception>
    public IJob<TIn, TOut> Create<TIn, TOut>()
    {
        return Typed<TIn, TOut>().Create();
    }

    // The typed view of this descriptor that executors use on their hot path (one type test, no reflection).
    internal IJobFactory<TIn, TOut> Typed<TIn, TOut>() =>
        this as IJobFactory<TIn, TOut> ?? throw new JobRegistrationException(
            $"Job '{Name}' takes {InputType.Name} and gives {OutputType.Name}; it was asked for as {typeof(TIn).Name} -> {typeof(TOut).Name}");

    /// <summary>
    /// Runs the job on a serialized input and returns its serialized output: what a worker process or a Redis
    /// worker does with a payload.
    /// </summary>
    /// <param name="payload">The serialized input.</param>
    /// <param name="serializer">The serializer for input and output.</param>
    /// <param name="context">The run's context.</param>
    /// <param name="output">Where the serialized output is written.</param>
    /// <exception cref="JobSerializationException">The input did not deserialize, or the output did not serialize.</exception>
    /// <remarks>Whatever the job itself throws propagates unchanged.</remarks>
    public abstract ValueTask InvokeAsync(ReadOnlyMemory<byte> payload, IJobSerializer serializer, JobContext context, IBufferWriter<byte> output);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({JobType.FullName}: {InputType.Name} -> {OutputType.Name})";
}

/// <summary>Creates instances of one registered job, typed.</summary>
internal interface IJobFactory<TIn, TOut>
{
    string Name { get; }

    bool AcceptsNullInput { get; }

    IJob<TIn, TOut> Create();
}

internal sealed class JobDescriptor<TJob, TIn, TOut> : JobDescriptor, IJobFactory<TIn, TOut>
    where TJob : IJob<TIn, TOut>
{
    private readonly Func<TJob>? _factory;
    private readonly Func<IJob<TIn, TOut>>? _activated;

    public JobDescriptor(string name, Func<TJob> factory)
        : base(name)
    {
        _factory = factory;
        AcceptsNullInput = JobInputNullability.AcceptsNull(typeof(TJob), typeof(TIn), typeof(IJob<TIn, TOut>));
    }

    // A job an IJobActivator builds at each run: the descriptor hands out the activating wrapper.
    public JobDescriptor(string name, Func<IJob<TIn, TOut>> activated)
        : base(name)
    {
        _activated = activated;
        AcceptsNullInput = JobInputNullability.AcceptsNull(typeof(TJob), typeof(TIn), typeof(IJob<TIn, TOut>));
    }

    public override Type JobType => typeof(TJob);

    public override Type InputType => typeof(TIn);

    public override Type OutputType => typeof(TOut);

    public override bool AcceptsNullInput { get; }

    public IJob<TIn, TOut> Create() =>
        _activated?.Invoke() ?? _factory!() ?? throw new JobRegistrationException($"The factory of job '{Name}' returned null");

    public override async ValueTask InvokeAsync(ReadOnlyMemory<byte> payload, IJobSerializer serializer, JobContext context, IBufferWriter<byte> output)
    {
        TIn input;
        try
        {
            input = serializer.Deserialize<TIn>(payload.Span);
        }
        catch (JobSerializationException e)
        {
            throw new JobSerializationException($"The input of job '{Name}' did not deserialize as {typeof(TIn).Name}: {e.Message}", e.InnerException ?? e);
        }

        if (input is null && !AcceptsNullInput)
        {
            throw new JobSerializationException($"The input of job '{Name}' is null, and the job takes a non-null {typeof(TIn).Name}");
        }

        var result = await Create().RunAsync(input, context).ConfigureAwait(false);
        try
        {
            serializer.Serialize(output, result);
        }
        catch (JobSerializationException e)
        {
            throw new JobSerializationException($"The result of job '{Name}' did not serialize as {typeof(TOut).Name}: {e.Message}", e.InnerException ?? e);
        }
    }
}
