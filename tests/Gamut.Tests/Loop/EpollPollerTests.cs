using Gamut.Loop;

namespace Gamut.Tests.Loop;

/// <summary>The loop's epoll poller on real descriptors (eventfds).</summary>
public sealed class EpollPollerTests
{
    [Fact]
    public void An_event_left_for_a_handler_removed_earlier_in_the_batch_never_reaches_the_handler_that_took_its_slot()
    {
        using var poller = new EpollPoller();
        var a = EventFd();
        var b = EventFd();
        var c = EventFd(); // never made ready: its handler must never run
        try
        {
            var first = new Handler();
            var removed = new Handler();
            var successor = new Handler();
            var firstId = poller.Add(a, Libc.EPOLLIN, first);
            var removedId = poller.Add(b, Libc.EPOLLIN, removed);

            // Handled first in the batch, the first handler removes the second and registers a third in its place
            // (the freed slot is the one handed out next), while the second's event is still in the batch.
            first.OnEvent = () =>
            {
                poller.Remove(removedId, b);
                _ = poller.Add(c, Libc.EPOLLIN, successor);
            };
            Signal(a); // ready first, so first in epoll's ready list
            Signal(b);

            poller.Poll(0);

            Assert.Equal(1, first.Calls);
            Assert.Equal(0, removed.Calls);
            Assert.Equal(0, successor.Calls);
            _ = firstId;
        }
        finally
        {
            Libc.close(a);
            Libc.close(b);
            Libc.close(c);
        }
    }

    private static int EventFd()
    {
        var fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        Assert.True(fd >= 0, "eventfd failed");
        return fd;
    }

    private static void Signal(int fd)
    {
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        stream.Write(BitConverter.GetBytes(1UL));
    }

    private sealed class Handler : IIoHandler
    {
        public int Calls { get; private set; }

        public Action? OnEvent { get; set; }

        public void OnReady(uint events)
        {
            Calls++;
            OnEvent?.Invoke();
        }
    }
}
