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
        // Enough rounds to sweep the race window many times over; each round is a hand-off between two threads, so
        // on a machine whose cores are taken by others a round can cost a scheduler time slice — the waits below
        // yield rather than spin, or the suite would spend minutes here (seen at load 23 on 2 cores).
        const int rounds = 500_000;
        var waiter = new ReadinessWaiter();
        var turn = -1;

        // The signaller raises round i's event a varying few nanoseconds after the waiter starts waiting for it,
        // sweeping the window between the waiter publishing its state and re-reading the event count.
        var signaller = new Thread(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                var spin = default(SpinWait);
                while (Volatile.Read(ref turn) != i)
                {
                    spin.SpinOnce();
                }

                Thread.SpinWait(i % 64);
                waiter.Signal();
            }
        }) { IsBackground = true };
        signaller.Start();

        for (var i = 0; i < rounds; i++)
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
        }

        Assert.True(signaller.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(rounds, waiter.Sequence);
    }
}
