using Gamut.Processes;

namespace Gamut.Tests.Processes;

public sealed class PipelineTests
{
    [Fact]
    public async Task A_three_stage_pipeline_connects_stdout_to_stdin_and_reports_every_stage()
    {
        var pipeline = Kit.Run("out-lines", "1000") | Command.Create("grep", "7") | Command.Create("wc", "-l");

        var result = await pipeline.RunAsync();

        Assert.Equal("271\n", result.StandardOutput);
        Assert.Equal(3, result.Stages.Count);
        Assert.All(result.Stages, s => Assert.Equal(0, s.ExitCode));
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Without_pipefail_the_last_stage_decides_and_with_it_the_rightmost_failure_does()
    {
        var pipeline = Command.Create("sh", "-c", "echo x; exit 3").WithThrowOnNonZeroExit(false) | Command.Create("sh", "-c", "cat; exit 4").WithThrowOnNonZeroExit(false) | Command.Create("cat");

        var plain = await pipeline.RunAsync();
        var pipefail = await pipeline.WithPipeFail().RunAsync();

        Assert.Equal([3, 4, 0], plain.Stages.Select(s => s.ExitCode));
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(4, pipefail.ExitCode);
        Assert.Equal(1, pipefail.DecisiveStage);
        Assert.Equal("x\n", pipefail.StandardOutput);
    }

    [Fact]
    public async Task A_failing_last_stage_raises_CommandExitException_for_that_stage()
    {
        var error = await Assert.ThrowsAsync<CommandExitException>(() => (Command.Create("echo", "x") | Command.Create("false")).RunAsync());

        Assert.Equal("false", error.Result.Command.Executable);
    }

    [Fact]
    public async Task A_command_can_read_another_commands_stdout_as_its_input()
    {
        var upstream = Command.Create("printf", "b\\na\\nc\\n");

        var result = await Command.Create("sort").WithStandardInput(InputSource.FromCommand(upstream)).RunAsync();

        Assert.Equal("a\nb\nc\n", result.StandardOutput);
    }

    [Fact]
    public async Task Each_stage_keeps_its_own_stderr()
    {
        var result = await (Command.Shell("echo one >&2; echo data") | Command.Shell("cat; echo two >&2")).RunAsync();

        Assert.Equal("one\n", result.Stages[0].StandardError);
        Assert.Equal("two\n", result.Stages[1].StandardError);
        Assert.Equal("data\n", result.StandardOutput);
    }

    [Fact]
    public async Task Cancelling_a_pipeline_stops_every_stage()
    {
        var marker = Kit.NewMarker();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => (Command.Create("sleep", "300").Marked(marker) | Command.Create("sleep", "300").Marked(marker)).RunAsync(cancel.Token).WaitAsync(Kit.Ceiling));

        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }
}
