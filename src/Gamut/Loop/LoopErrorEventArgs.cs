namespace Gamut.Loop;

/// <summary>A callback on the loop threw; the loop logged it and went on.</summary>
public sealed class LoopErrorEventArgs : EventArgs
{
    internal LoopErrorEventArgs(Exception exception) => Exception = exception;

    /// <summary>What the callback threw.</summary>
    public Exception Exception { get; }
}
