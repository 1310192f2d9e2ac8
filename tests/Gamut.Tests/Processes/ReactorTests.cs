using Gamut.Processes.Linux;

namespace Gamut.Tests.Processes;

/// <summary>The process reactor's fault policy: what it does with a failing epoll_wait and a throwing handler.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReactorTests
{
    [Fact]
    public void A_failing_epoll_wait_is_retried_at_once_only_for_EINTR_and_otherwise_with_a_growing_pause()
    {
        Assert.Equal(0, Reactor.RetryDelayMs(Libc.EINTR, 0));
        var delays = Enumerable.Range(1, 15).Select(n => Reactor.RetryDelayMs(Libc.EBADF, n)).ToList();

        Assert.All(delays, d => Assert.InRange(d, 1, 1000));
        Assert.Equal(delays.Order(), delays); // never shrinking while the error repeats
        Assert.Equal(1000, delays[^1]);
    }

    [Fact]
    public void A_handler_that_throws_is_reported_through_Faulted_and_the_next_handler_still_runs()
    {
        var reported = new List<Exception>();
        void Listen(Exception e)
        {
            lock (reported)
            {
                reported.Add(e);
            }
        }

        var ran = false;
        Reactor.Faulted += Listen;
        try
        {
            Reactor.Deliver<string>(static s => throw new InvalidOperationException(s), "boom in a handler");
            Reactor.Deliver<int>(_ => ran = true, 0);
        }
        finally
        {
            Reactor.Faulted -= Listen;
        }

        lock (reported)
        {
            var error = Assert.Single(reported, e => e.InnerException?.Message == "boom in a handler");
            Assert.Contains("reactor", error.Message);
        }

        Assert.True(ran);
    }
}
