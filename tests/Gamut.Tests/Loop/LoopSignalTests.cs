using System.Runtime.InteropServices;
using Gamut.Loop;

namespace Gamut.Tests.Loop;

public sealed class LoopSignalTests
{
    [Theory]
    [InlineData(PosixSignal.SIGHUP, 1)]
    [InlineData(PosixSignal.SIGTERM, 15)]
    [InlineData(PosixSignal.SIGINT, 2)]
    public async Task A_signal_is_delivered_as_an_event_on_the_loop_thread_and_does_not_end_the_process(PosixSignal signal, int number)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var loop = new EventLoop();
        var delivered = new TaskCompletionSource<(PosixSignal Signal, int Thread)>(TaskCreationOptions.RunContinuationsAsynchronously);

        using (loop.OnSignal(signal, s => delivered.TrySetResult((s, Environment.CurrentManagedThreadId))))
        {
            Assert.Equal(0, kill(Environment.ProcessId, number));

            // Wait for delivery before the registration goes: only then is the default action (exit) ruled out.
            var (got, thread) = await delivered.Task.WaitAsync(EventLoopTests.HangGuard);
            Assert.Equal(signal, got);
            Assert.Equal(loop.ThreadId, thread);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
