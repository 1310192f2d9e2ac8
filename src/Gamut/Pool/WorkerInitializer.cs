using Gamut.Jobs;

namespace Gamut.Pool;

/// <summary>
/// A registered job each worker runs once when it starts, before it takes any work (to warm a cache, open a
/// connection, load a model). Its result is ignored. If it throws, hangs past
/// <see cref="ProcessPoolOptions.StartTimeout"/> or kills the worker, that worker counts as failing to start, and
/// <see cref="ProcessPoolOptions.RestartIntensity"/> bounds the retries.
/// </summary>
public sealed class WorkerInitializer
{
    private readonly Func<IJobSerializer, byte[]> _serializeInput;

    private WorkerInitializer(string jobName, Func<IJobSerializer, byte[]> serializeInput)
    {
        JobName = jobName;
        _serializeInput = serializeInput;
    }

    /// <summary>The registered job to run.</summary>
    public string JobName { get; }

    /// <summary>Runs <paramref name="job"/> with <paramref name="input"/> once in each worker at start.</summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type (ignored).</typeparam>
    /// <param name="job">A job registered in the pool's registry.</param>
    /// <param name="input">Its input.</param>
    public static WorkerInitializer For<TIn, TOut>(JobRef<TIn, TOut> job, TIn input) =>
        new(job.Name, serializer => serializer.SerializeToArray(input));

    internal byte[] SerializeInput(IJobSerializer serializer) => _serializeInput(serializer);
}
