using Gamut.Processes.Linux;
using Xunit;

namespace Gamut.Tests.Processes;

/// <summary>
/// The readiness waiter against its lost-wake-up race: a waiter and a signaller on two threads, many times over.
/// A missed hand-off leaves a wait that never ends, which in the subprocess layer is a child that exited and is
/// never reaped (seen under load before the waiter published its state with a full fence).
/// </summary>
public sealed class ReadinessWaiterTests
{
    [Fact]
    public async Task A_signal_racing_a_new_wait_is_never_lost()
    {
        // Up to 500,000 rounds sweep the race window many times over (a quiet machine does them in seconds; with the
        // original bug one run in two failed within 200,000). Each round is a hand-off between two threads, and with
        // every core taken by others (two CPU hogs beside the suite) a hand-off can cost scheduler time slices: there
        // 500,000 rounds took more than five minutes. So the sweep is a budget of work, not of time only: at least
        // 2,000 rounds (under two hogs, 20,000 took 77 s), and after those it stops at 500,000 or at 20 s, whichever
        // comes first. Nothing here asserts a duration.
        const int rounds = 500_000, minimumRounds = 2_000;
        var budget = TimeSpan.FromSeconds(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var waiter = new ReadinessWaiter();
        var turn = -1;
        const int done = -2;

        // The signaller raises round i's event a varying few nanoseconds after the waiter starts waiting for it,
        // sweeping the window between the waiter publishing its state and re-reading the event count.
        var signaller = new Thread(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                var spin = default(SpinWait);
                int t;
                while ((t = Volatile.Read(ref turn)) != i)
                {
                    if (t == done)
                    {
                        return;
                    }

                    spin.SpinOnce();
                }

                Thread.SpinWait(i % 64);
                waiter.Signal();
            }
        }) { IsBackground = true };
        signaller.Start();

        var completed = 0;
        for (var i = 0; i < rounds && (i < minimumRounds || clock.Elapsed < budget); i++)
        {
            var observed = waiter.Sequence;
            Volatile.Write(ref turn, i);
            var wait = waiter.WaitAsync(observed, CancellationToken.None);
            if (!wait.IsCompleted)
            {
                // The event is on its way; if the hand-off was missed nothing will ever complete this wait.
                var task = wait.AsTask();
                await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
                Assert.True(task.IsCompleted, $"round {i}: the event was signalled but the wait was never released");
                await task;
            }
            else
            {
                await wait;
            }

            // The next round starts after this round's event.
            SpinWait.SpinUntil(() => waiter.Sequence == observed + 1);
            completed++;
        }

        Volatile.Write(ref turn, done);
        Assert.True(signaller.Join(TimeSpan.FromSeconds(60)));
        Assert.True(completed >= minimumRounds);
        Assert.Equal(completed, waiter.Sequence);
    }
}
