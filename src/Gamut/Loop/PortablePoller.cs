namespace Gamut.Loop;

/// <summary>The poller where epoll is not available: callbacks and timers only, waiting on an event.</summary>
internal sealed class PortablePoller : IPoller
{
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

    public bool SupportsDescriptors => false;

    public void Poll(int timeoutMs)
    {
        if (timeoutMs != 0)
        {
            _wake.Wait(timeoutMs);
        }

        _wake.Reset();
    }

    public void Wake() => _wake.Set();

    public ulong Add(int fd, uint events, IIoHandler handler) => throw new PlatformNotSupportedException("The event loop watches sockets on Linux only (epoll).");

    public void Modify(ulong id, int fd, uint events) => throw new PlatformNotSupportedException();

    public void Remove(ulong id, int fd) => throw new PlatformNotSupportedException();

    public void Dispose() => _wake.Dispose();
}
