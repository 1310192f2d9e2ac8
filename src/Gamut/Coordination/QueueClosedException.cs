namespace Gamut.Coordination;

/// <summary>The queue was closed: no item can be added, and none is left to take.</summary>
public sealed class QueueClosedException : InvalidOperationException
{
    /// <summary>Creates the error.</summary>
    public QueueClosedException()
        : base("The queue is closed")
    {
    }

    /// <summary>Creates the error.</summary>
    /// <param name="message">What happened.</param>
    public QueueClosedException(string message)
        : base(message)
    {
    }
}
