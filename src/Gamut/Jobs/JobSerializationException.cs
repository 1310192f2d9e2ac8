namespace Gamut.Jobs;

/// <summary>
/// A job's input or output could not be serialized or deserialized, or a payload was over the size limit.
/// </summary>
public sealed class JobSerializationException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What could not be (de)serialized, and why.</param>
    /// <param name="innerException">The serializer's own error.</param>
    public JobSerializationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
