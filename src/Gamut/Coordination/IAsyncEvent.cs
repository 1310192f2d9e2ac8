namespace Gamut.Coordination;

/// <summary>
/// A manual-reset event: set, reset, and wait until set. Implemented in-process (<see cref="AsyncEvent"/>),
/// across processes (Gamut.Ipc) and across machines (Gamut.Redis).
/// </summary>
public interface IAsyncEvent
{
    /// <summary>Whether the event is set now.</summary>
    bool IsSet { get; }

    /// <summary>Sets the event, releasing every waiter.</summary>
    void Set();

    /// <summary>Resets the event, so later waiters wait.</summary>
    void Reset();

    /// <summary>Waits until the event is set.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    ValueTask WaitAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until the event is set or <paramref name="timeout"/> passes.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Whether the event was set.</returns>
    ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
