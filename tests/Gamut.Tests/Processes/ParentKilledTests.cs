using System.Diagnostics;
using Gamut.Processes;
using Xunit.Abstractions;

namespace Gamut.Tests.Processes;

/// <summary>SP-5: children do not outlive a parent killed with SIGKILL.</summary>
[Collection(ProcessHygieneCollection.Name)]
public sealed class ParentKilledTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Children_of_a_parent_killed_with_SIGKILL_are_stopped_by_the_watchdog()
    {
        var marker = Kit.NewMarker();
        await using var host = await StartHostAsync(marker, killOnParentExit: true);
        Assert.Equal(50, Kit.ProcessesWithMarker(marker).Count);

        host.SendSignal(Signals.Kill);
        var result = await host.WaitForExitAsync().WaitAsync(Kit.Ceiling);
        var killed = Stopwatch.StartNew();
        var survivors = await Kit.SurvivorsAfterAsync(marker, TimeSpan.FromSeconds(30));

        Assert.Equal(Signals.Kill, result.Signal);
        Assert.Empty(survivors);
        output.WriteLine($"50 children gone {killed.Elapsed.TotalMilliseconds:F0} ms after the host was reaped");
    }

    [Fact]
    public async Task Without_KillOnParentExit_the_children_outlive_their_killed_parent()
    {
        var marker = Kit.NewMarker();
        try
        {
            await using var host = await StartHostAsync(marker, killOnParentExit: false);

            host.SendSignal(Signals.Kill);
            await host.WaitForExitAsync().WaitAsync(Kit.Ceiling);
            await Task.Delay(500);

            Assert.Equal(50, Kit.ProcessesWithMarker(marker).Count);
        }
        finally
        {
            foreach (var pid in Kit.ProcessesWithMarker(marker))
            {
                Process.GetProcessById(pid).Kill();
            }

            Assert.Empty(await Kit.SurvivorsAfterAsync(marker, Kit.Ceiling));
        }
    }

    [Fact]
    public async Task A_killed_watchdog_is_replaced_before_the_next_child_starts()
    {
        await Command.Create("true").RunAsync();
        var first = Gamut.Processes.Linux.ParentExitWatchdog.ProcessId;
        Assert.True(first > 0);

        Process.GetProcessById(first).Kill();
        var until = DateTime.UtcNow + Kit.Ceiling;
        while (Gamut.Processes.Linux.ParentExitWatchdog.ProcessId == first && Kit.State(first) is not null && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        await Command.Create("true").RunAsync();
        var second = Gamut.Processes.Linux.ParentExitWatchdog.ProcessId;

        Assert.NotEqual(first, second);

        // A watchdog just started may still be running its start-up (seen with two CPU hogs beside the suite): it is
        // ready once it sleeps on its pipe, waiting for the parent to go. The ceiling is a hang guard only.
        until = DateTime.UtcNow + Kit.Ceiling;
        while (Kit.State(second) is 'R' or 'D' && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.Equal('S', Kit.State(second));
    }

    private static async Task<ChildProcess> StartHostAsync(string marker, bool killOnParentExit)
    {
        // The host leads its own group, so killing it leaves its children to the watchdog alone.
        var host = Kit.Run("host-children", "50", marker, killOnParentExit ? "true" : "false")
            .WithThrowOnNonZeroExit(false)
            .WithStopProcessGroupOnExit(false)
            .Start();
        await using var lines = host.ReadOutputLinesAsync().GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Kit.Ceiling));
        Assert.Equal("ready", lines.Current);
        return host;
    }
}
