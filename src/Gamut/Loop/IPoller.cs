namespace Gamut.Loop;

/// <summary>Something the poller tells when its file descriptor is ready.</summary>
internal interface IIoHandler
{
    /// <summary>Called on the loop thread with the ready events (<c>EPOLLIN</c>, <c>EPOLLOUT</c>, ...).</summary>
    void OnReady(uint events);
}

/// <summary>
/// Where the loop thread waits when it has nothing to do: for readiness of the descriptors it watches, for a
/// timer's due time, or for a wake-up from another thread that posted work.
/// </summary>
internal interface IPoller : IDisposable
{
    /// <summary>Whether descriptors can be watched (the Linux epoll poller); else the loop only runs callbacks and timers.</summary>
    bool SupportsDescriptors { get; }

    /// <summary>
    /// Waits at most <paramref name="timeoutMs"/> (-1: no limit, 0: just look), dispatches ready descriptors, and
    /// consumes a wake-up it saw.
    /// </summary>
    void Poll(int timeoutMs);

    /// <summary>Ends a <see cref="Poll"/> in progress, or the next one, at once. Any thread.</summary>
    void Wake();

    /// <summary>Starts watching <paramref name="fd"/>; returns a registration id (a slot and a generation, never reused). Loop thread only.</summary>
    ulong Add(int fd, uint events, IIoHandler handler);

    /// <summary>Changes the events watched for a registration. Loop thread only.</summary>
    void Modify(ulong id, int fd, uint events);

    /// <summary>Stops watching a registration. Loop thread only.</summary>
    void Remove(ulong id, int fd);
}
