namespace Gamut.Jobs;

/// <summary>What is wrong with an envelope that was refused.</summary>
public enum EnvelopeError
{
    /// <summary>The bytes are not JSON, or not UTF-8.</summary>
    NotJson,

    /// <summary>The JSON is not an object.</summary>
    NotAnObject,

    /// <summary>A required field is missing.</summary>
    MissingField,

    /// <summary>A field has the wrong type or an invalid value.</summary>
    InvalidField,

    /// <summary>The envelope is of a version this code does not read.</summary>
    UnsupportedVersion,

    /// <summary>The envelope is over the size limit.</summary>
    TooLarge,
}

/// <summary>An envelope was refused; <see cref="Reason"/> says why, in a word a dead-letter entry can carry.</summary>
public sealed class EnvelopeException : JobException
{
    /// <summary>Creates the error.</summary>
    /// <param name="reason">The kind of problem.</param>
    /// <param name="message">The details.</param>
    /// <param name="innerException">The parser's error, if any.</param>
    public EnvelopeException(EnvelopeError reason, string message, Exception? innerException = null)
        : base($"Invalid job envelope ({reason}): {message}", innerException)
    {
        Reason = reason;
    }

    /// <summary>The kind of problem.</summary>
    public EnvelopeError Reason { get; }
}
