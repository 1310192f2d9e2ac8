namespace Gamut.Jobs;

/// <summary>
/// Builds a job's instance for one run, and whatever the instance lives in for that run. This is the seam where a
/// dependency-injection container builds jobs (Gamut.Extensions.Hosting fills it with one service scope per run);
/// nothing in Gamut itself knows about DI. Register a job with it through
/// <see cref="JobRegistry.Add{TJob, TIn, TOut}(IJobActivator, string?)"/>.
/// </summary>
public interface IJobActivator
{
    /// <summary>Begins one run of a job of <paramref name="jobType"/>: creates the instance and its surroundings.</summary>
    /// <param name="jobType">The registered job type.</param>
    /// <returns>The instance; disposing the activation (after the run, whatever its outcome) ends the surroundings.</returns>
    JobActivation Activate(Type jobType);
}

/// <summary>A job instance made for one run, and what to release when the run ends (a DI scope, say).</summary>
/// <param name="job">The job instance.</param>
/// <param name="lifetime">Released after the run; none when null.</param>
public readonly struct JobActivation(object job, IAsyncDisposable? lifetime) : IAsyncDisposable
{
    /// <summary>The job instance.</summary>
    public object Job { get; } = job;

    /// <summary>Releases what the instance lived in.</summary>
    public ValueTask DisposeAsync() => lifetime?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>A registered job built by an <see cref="IJobActivator"/> at each run, and released when the run ends.</summary>
internal sealed class ActivatedJob<TJob, TIn, TOut>(IJobActivator activator, string name) : IJob<TIn, TOut>
    where TJob : IJob<TIn, TOut>
{
    public async ValueTask<TOut> RunAsync(TIn input, JobContext context)
    {
        var activation = activator.Activate(typeof(TJob));
        await using (activation.ConfigureAwait(false))
        {
            if (activation.Job is not TJob job)
            {
                throw new JobRegistrationException(
                    $"The activator of job '{name}' made {activation.Job?.GetType().FullName ?? "null"}, not {typeof(TJob).FullName}");
            }

            return await job.RunAsync(input, context).ConfigureAwait(false);
        }
    }
}
