namespace Gamut.Loop;

/// <summary>A handler has been running on the loop thread longer than the loop's threshold.</summary>
public sealed class LoopBlockedEventArgs : EventArgs
{
    internal LoopBlockedEventArgs(string handler, TimeSpan blockedFor)
    {
        Handler = handler;
        BlockedFor = blockedFor;
    }

    /// <summary>What is running: a method, an async method's name, or a job's name and id.</summary>
    public string Handler { get; }

    /// <summary>How long it had been running when it was seen (at least this long; it may still be running).</summary>
    public TimeSpan BlockedFor { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Handler} has blocked the loop for {BlockedFor.TotalMilliseconds:0} ms";
}
