namespace Gamut.Jobs;

/// <summary>
/// A typed reference to a registered job: its name, and the input and output types it takes and gives.
/// Pass it to an executor's <c>SubmitAsync</c> or <c>MapAsync</c>; it carries no code, so a client can
/// refer to a job that only its workers have.
/// </summary>
/// <typeparam name="TIn">The job's input type.</typeparam>
/// <typeparam name="TOut">The job's output type.</typeparam>
public readonly record struct JobRef<TIn, TOut>
{
    /// <summary>Refers to the job registered under <paramref name="name"/>.</summary>
    /// <param name="name">The job's registered name.</param>
    /// <exception cref="ArgumentException">The name is not a valid job name.</exception>
    public JobRef(string name)
    {
        JobNames.Validate(name);
        Name = name;
    }

    /// <summary>The job's registered name.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Creates <see cref="JobRef{TIn, TOut}"/> values.</summary>
public static class JobRef
{
    /// <summary>Refers to the job type <typeparamref name="TJob"/> by the name it is registered under by default.</summary>
    /// <typeparam name="TJob">The job type.</typeparam>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    public static JobRef<TIn, TOut> To<TJob, TIn, TOut>() where TJob : IJob<TIn, TOut> =>
        new(JobNames.Of(typeof(TJob)));

    /// <summary>Refers to a job by name, for a client that does not have the job's type.</summary>
    /// <typeparam name="TIn">Its input type.</typeparam>
    /// <typeparam name="TOut">Its output type.</typeparam>
    /// <param name="name">The registered name.</param>
    public static JobRef<TIn, TOut> Named<TIn, TOut>(string name) => new(name);
}
