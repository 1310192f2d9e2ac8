using System.Collections.Concurrent;
using Gamut.Processes;
using Gamut.Processes.Linux;

namespace Gamut.Tests.Processes;

/// <summary>
/// Faults of the Linux spawner and of process-group signalling that this machine would not show by itself,
/// reached through <see cref="SpawnProbe"/>: a failure after the spawn, and a kernel before 6.9.
/// </summary>
[Collection(ProcessHygieneCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeFaultTests
{
    [Fact]
    public void A_failure_while_a_spawned_child_is_adopted_kills_and_reaps_it_and_closes_its_pipes()
    {
        var marker = Kit.NewMarker();
        var childPid = 0;
        string? stdoutPipe = null;
        SpawnProbe.Current = new SpawnProbe
        {
            WhileAdopting = pid =>
            {
                childPid = pid;
                stdoutPipe = new FileInfo($"/proc/{pid}/fd/1").LinkTarget;
                throw new IOException("injected: epoll_ctl(ADD) failed");
            },
        };
        try
        {
            var error = Assert.Throws<CommandStartException>(() => Command.Create("sleep", "60").Marked(marker).Start());
            Assert.Contains("injected", error.Message);
        }
        finally
        {
            SpawnProbe.Current = null;
        }

        Assert.NotEqual(0, childPid);
        Assert.StartsWith("pipe:", stdoutPipe);
        Assert.Null(Kit.State(childPid)); // killed and reaped: neither running nor a zombie
        Assert.Empty(Kit.ProcessesWithMarker(marker));
        var ours = Directory.EnumerateFileSystemEntries("/proc/self/fd").Select(f => new FileInfo(f).LinkTarget).ToList();
        Assert.DoesNotContain(stdoutPipe, ours);
    }

    [Fact]
    public async Task Without_group_pidfd_signals_a_group_known_empty_is_never_signalled_again()
    {
        var sent = new ConcurrentQueue<(int Group, int Signal)>();
        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SpawnProbe.Current = new SpawnProbe
        {
            LegacyGroupSignals = true,
            OnGroupKill = (group, signal, delivered) =>
            {
                sent.Enqueue((group, signal));
                if (!delivered)
                {
                    emptied.TrySetResult(); // ESRCH: the group is known empty from here on
                }
            },
        };
        ChildProcess child;
        try
        {
            // A grace period far longer than the test, so the SIGKILL timer is still armed when the group empties.
            child = Command.Create("sleep", "60").WithGracePeriod(TimeSpan.FromHours(1)).Start();
        }
        finally
        {
            SpawnProbe.Current = null;
        }

        await using (child)
        {
            // Stopped, but its output is never claimed: the command stays unreleased, as a started one can for long.
            child.RequestStop(CommandStopReason.Requested, null);
            await emptied.Task.WaitAsync(Kit.Ceiling);

            Assert.Contains(sent, s => s.Group == child.Id && s.Signal == Signals.Terminate); // the legacy path ran
            Assert.True(child.HasExited);
            var before = sent.Count;

            // The leader is reaped and its group was seen empty: its number may belong to another group by now.
            Assert.False(child.SendSignalToGroup(Signals.Kill));
            Assert.False(child.SendSignalToGroup(Signals.Terminate));
            Assert.Equal(before, sent.Count);
            Assert.DoesNotContain(sent, s => s.Signal == Signals.Kill);
        }
    }
}
