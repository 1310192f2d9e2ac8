namespace Gamut.Executors;

/// <summary>
/// The input sequence of a map threw while being enumerated. Outcomes of the inputs read before it were
/// yielded; <see cref="Exception.InnerException"/> is the sequence's own exception.
/// </summary>
public sealed class MapInputException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="inputsRead">How many inputs were read before the failure.</param>
    /// <param name="innerException">The sequence's exception.</param>
    public MapInputException(long inputsRead, Exception innerException)
        : base($"The map's input sequence threw after {inputsRead} inputs: {innerException.Message}", innerException)
    {
        InputsRead = inputsRead;
    }

    /// <summary>How many inputs were read before the failure.</summary>
    public long InputsRead { get; }
}
