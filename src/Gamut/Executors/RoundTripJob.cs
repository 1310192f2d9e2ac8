using Gamut.Jobs;

namespace Gamut.Executors;

/// <summary>
/// A registered job whose input and output cross a serializer on the way in and out, as they would to a worker
/// process: what <see cref="InlineExecutor"/> does when asked to check serialization, so a test finds a value that
/// will not cross a boundary before production does.
/// </summary>
internal sealed class RoundTripJob<TIn, TOut>(IJobFactory<TIn, TOut> job, IJobSerializer serializer) : IJobFactory<TIn, TOut>, IJob<TIn, TOut>
{
    public string Name => job.Name;

    public bool AcceptsNullInput => job.AcceptsNullInput;

    public IJob<TIn, TOut> Create() => this;

    /// <summary>Serializes and reads back an input on the caller's side; a <see cref="JobSerializationException"/> names the job.</summary>
    public TIn CrossIn(TIn input)
    {
        try
        {
            return serializer.Deserialize<TIn>(serializer.SerializeToArray(input));
        }
        catch (JobSerializationException e)
        {
            throw new JobSerializationException($"The input of job '{Name}' would not cross a process boundary as {typeof(TIn).Name}: {e.Message}", e.InnerException ?? e);
        }
    }

    public async ValueTask<TOut> RunAsync(TIn input, JobContext context)
    {
        var output = await job.Create().RunAsync(input, context).ConfigureAwait(false);
        try
        {
            return serializer.Deserialize<TOut>(serializer.SerializeToArray(output));
        }
        catch (JobSerializationException e)
        {
            throw new JobSerializationException($"The result of job '{Name}' would not cross a process boundary as {typeof(TOut).Name}: {e.Message}", e.InnerException ?? e);
        }
    }
}
