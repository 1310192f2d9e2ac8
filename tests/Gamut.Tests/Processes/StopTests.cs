using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>SP-1: a stop, a timeout or a cancellation reaches the whole process tree, TERM first, then KILL.</summary>
[Collection(ProcessHygieneCollection.Name)]
public sealed class StopTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    public enum Trigger
    {
        Stop,
        Timeout,
        Cancel,
    }

    [Theory]
    [InlineData(Trigger.Stop)]
    [InlineData(Trigger.Timeout)]
    [InlineData(Trigger.Cancel)]
    public async Task A_stop_sends_TERM_first_then_KILL_to_the_whole_group_and_leaves_no_process_or_zombie(Trigger trigger)
    {
        var marker = Kit.NewMarker();
        var log = Path.GetTempFileName();
        try
        {
            // The child logs TERM and ignores it; one grandchild ignores TERM, one is orphaned by a double fork.
            var command = Kit.Run("log-term", log, "stubborn-grandchild", "300", "double-fork", "300", "grandchild", "300", "ready", "sleep", "300")
                .Marked(marker)
                .WithGracePeriod(Grace);
            if (trigger == Trigger.Timeout)
            {
                command = command.WithTimeout(TimeSpan.FromSeconds(2));
            }

            using var cancel = new CancellationTokenSource();
            await using var child = command.Start(cancel.Token);
            await using (var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator())
            {
                Assert.True(await lines.MoveNextAsync());
                Assert.Equal("ready", lines.Current);
            }

            Assert.Equal(4, Kit.ProcessesWithMarker(marker).Count);

            CommandResult result;
            switch (trigger)
            {
                case Trigger.Stop:
                    result = await child.StopAsync().WaitAsync(Kit.Ceiling);
                    Assert.Equal(CommandStopReason.Requested, result.StopReason);
                    break;
                case Trigger.Timeout:
                    var timeout = await Assert.ThrowsAsync<CommandTimeoutException>(() => child.WaitForExitAsync().WaitAsync(Kit.Ceiling));
                    result = timeout.Result;
                    Assert.Equal(CommandStopReason.Timeout, result.StopReason);
                    break;
                default:
                    await cancel.CancelAsync();
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => child.WaitForExitAsync().WaitAsync(Kit.Ceiling));
                    result = await child.StopAsync();
                    Assert.Equal(CommandStopReason.Canceled, result.StopReason);
                    break;
            }

            Assert.Equal($"TERM {child.Id}\n", await File.ReadAllTextAsync(log));
            Assert.Equal(Signals.Kill, result.Signal);
            Assert.True(result.ExitStatus.Canceled);
            Assert.Empty(Kit.ProcessesWithMarker(marker));
            Assert.Empty(Kit.ZombieChildren());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task A_child_that_honours_TERM_ends_by_TERM_within_the_grace_period()
    {
        var marker = Kit.NewMarker();
        await using var child = Kit.Run("grandchild", "300", "ready", "sleep", "300").Marked(marker).WithGracePeriod(TimeSpan.FromSeconds(30)).Start();
        await using (var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator())
        {
            Assert.True(await lines.MoveNextAsync());
        }

        var result = await child.StopAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(Signals.Terminate, result.Signal);
        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task Processes_left_in_the_group_when_the_main_process_exits_are_stopped_too()
    {
        var marker = Kit.NewMarker();

        var result = await Kit.Run("grandchild", "300", "double-fork", "300", "exit", "0").Marked(marker).WithGracePeriod(Grace).RunAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task Leaving_the_group_alone_on_exit_is_possible_and_the_output_then_waits_for_every_writer()
    {
        var marker = Kit.NewMarker();
        try
        {
            var result = await Command.Shell("(sleep 1; echo late) & echo early").Marked(marker).WithStopProcessGroupOnExit(false).RunAsync().WaitAsync(Kit.Ceiling);

            Assert.Equal("early\nlate\n", result.StandardOutput);
        }
        finally
        {
            Assert.Empty(await Kit.SurvivorsAfterAsync(marker, Kit.Ceiling));
        }
    }

    [Fact]
    public async Task A_grandchild_that_calls_setsid_escapes_the_group_a_documented_limit_and_the_run_still_ends()
    {
        var marker = Kit.NewMarker();
        try
        {
            // The kit prints "ready" only once the grandchild leads its own session: a stop sent before setsid ran
            // would still reach it through the group, and the test would see no escape at all.
            await using var child = Kit.Run("setsid-child", "300", "ready", "sleep", "300").Marked(marker).WithGracePeriod(Grace).Start();
            await using (var lines = child.ReadOutputLinesAsync().GetAsyncEnumerator())
            {
                Assert.True(await lines.MoveNextAsync());
                Assert.Equal("ready", lines.Current);
            }

            // The escaped grandchild still holds the output pipes; the stop must not wait on it.
            var result = await child.StopAsync().WaitAsync(Kit.Ceiling);

            Assert.Equal(Signals.Terminate, result.Signal);
            Assert.Single(Kit.ProcessesWithMarker(marker));
        }
        finally
        {
            foreach (var pid in Kit.ProcessesWithMarker(marker))
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
        }
    }
}
