namespace Gamut.Executors;

/// <summary>Work was submitted to an executor that is shutting down or has shut down.</summary>
public sealed class ExecutorClosedException : InvalidOperationException
{
    /// <summary>Creates the error.</summary>
    /// <param name="executorName">The executor, as its users know it.</param>
    public ExecutorClosedException(string executorName)
        : base($"The {executorName} executor is shut down and accepts no more work")
    {
        ExecutorName = executorName;
    }

    /// <summary>The executor.</summary>
    public string ExecutorName { get; }
}
