namespace Gamut.Cli.Run.Execution;

/// <summary>Follows a run for a progress display. Called from the scheduler's loop; implementations must be cheap.</summary>
internal interface IRunProgress : IDisposable
{
    /// <summary>The number of jobs, once all inputs are read (null until then).</summary>
    void SetTotal(long total);

    void OnStarted();

    void OnFinished(bool failed);
}

/// <summary>No progress display.</summary>
internal sealed class NoProgress : IRunProgress
{
    public static NoProgress Instance { get; } = new();

    public void SetTotal(long total)
    {
    }

    public void OnStarted()
    {
    }

    public void OnFinished(bool failed)
    {
    }

    public void Dispose()
    {
    }
}
