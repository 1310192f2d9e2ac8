namespace Gamut.Jobs;

/// <summary>A job could not be registered: a duplicate name, an invalid name, or a type that is not a job.</summary>
public sealed class JobRegistrationException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong.</param>
    public JobRegistrationException(string message)
        : base(message)
    {
    }
}
