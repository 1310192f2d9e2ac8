namespace Gamut.Jobs;

/// <summary>The base of every error about jobs: registration, serialization, failure, timeout.</summary>
public class JobException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public JobException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
