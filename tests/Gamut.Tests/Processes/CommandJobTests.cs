using System.Text;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Jobs.Commands;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

public sealed class CommandJobTests
{
    [Fact]
    public void Every_registry_contains_the_command_job()
    {
        var registry = new JobRegistry();

        Assert.True(registry.Contains("gamut.command"));
        Assert.Equal(typeof(CommandJob), registry.Get(CommandJob.Name).JobType);
    }

    [Fact]
    public async Task A_command_job_returns_a_non_zero_exit_as_an_outcome()
    {
        await using var executor = Gamut.Executors.Executors.Inline(new JobRegistry());
        var spec = new CommandSpec { Executable = Kit.Executable, Arguments = ["out-lines", "1", "err-lines", "1", "e", "exit", "3"] };

        var outcome = await executor.SubmitAsync(CommandJob.Ref, spec);

        Assert.Equal(3, outcome.ExitCode);
        Assert.Null(outcome.Signal);
        Assert.False(outcome.TimedOut);
        Assert.Equal("line 0\n", Encoding.UTF8.GetString(outcome.Stdout));
        Assert.Equal("e0\n", Encoding.UTF8.GetString(outcome.Stderr));
        Assert.True(outcome.EndTime >= outcome.StartTime);
    }

    [Theory]
    [InlineData("{\"executable\":\"/bin/echo\"}")]
    [InlineData("{\"executable\":\"/bin/echo\",\"arguments\":null}")]
    public async Task A_command_payload_without_arguments_runs_with_none(string payload)
    {
        // The protocol makes "arguments" optional (default []): a producer in another language may leave it out.
        var spec = JsonJobSerializer.Default.Deserialize<CommandSpec>(Encoding.UTF8.GetBytes(payload));

        var outcome = await new CommandJob().RunAsync(spec, new JobContext("1", CommandJob.Name));

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("\n", Encoding.UTF8.GetString(outcome.Stdout));
    }

    [Fact]
    public async Task A_command_job_passes_stdin_environment_working_directory_and_a_shell()
    {
        var spec = new CommandSpec
        {
            Executable = "cat; echo \"$GAMUT_X $1\"; pwd",
            Shell = "/bin/sh",
            Arguments = ["sh", "first"],
            Environment = new Dictionary<string, string?> { ["GAMUT_X"] = "x", ["HOME"] = null },
            WorkingDirectory = "/tmp",
            Stdin = Encoding.UTF8.GetBytes("in\n"),
        };

        var outcome = await new CommandJob().RunAsync(spec, new JobContext("1", CommandJob.Name));

        Assert.Equal("in\nx first\n/tmp\n", Encoding.UTF8.GetString(outcome.Stdout));
    }

    [Fact]
    public async Task A_command_job_that_times_out_is_stopped_and_says_so()
    {
        var marker = Kit.NewMarker();
        var spec = new CommandSpec
        {
            Executable = Kit.Executable,
            Arguments = ["grandchild", "300", "sleep", "300"],
            Environment = new Dictionary<string, string?> { [Kit.MarkerVariable] = marker },
            TimeoutSeconds = 0.5,
            GraceSeconds = 1,
        };

        var outcome = await new CommandJob().RunAsync(spec, new JobContext("1", CommandJob.Name)).AsTask().WaitAsync(Kit.Ceiling);

        Assert.True(outcome.TimedOut);
        Assert.Equal(Signals.Terminate, outcome.Signal);
        Assert.Empty(Kit.ProcessesWithMarker(marker));
    }

    [Fact]
    public async Task A_command_job_whose_executable_is_missing_fails_with_the_typed_start_error()
    {
        var spec = new CommandSpec { Executable = "gamut-no-such-program" };

        var error = await Assert.ThrowsAsync<CommandNotFoundException>(() => new CommandJob().RunAsync(spec, new JobContext("1", CommandJob.Name)).AsTask());
        Assert.Contains("gamut-no-such-program", error.Message);
    }
}
