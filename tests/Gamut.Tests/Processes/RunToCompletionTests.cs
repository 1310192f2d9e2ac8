using System.Text;
using System.Text.Json;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

public sealed class RunToCompletionTests
{
    [Fact]
    public async Task A_command_runs_and_returns_its_exit_code_and_captured_output()
    {
        var result = await Kit.Run("out-lines", "3", "err-lines", "2", "E").RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Null(result.Signal);
        Assert.True(result.IsSuccess);
        Assert.Equal("line 0\nline 1\nline 2\n", result.StandardOutput);
        Assert.Equal("E0\nE1\n", result.StandardError);
        Assert.True(result.ProcessId > 0);
        Assert.True(result.EndTime >= result.StartTime);
        Assert.Equal(result.EndTime - result.StartTime, result.Duration);
    }

    [Fact]
    public async Task A_non_zero_exit_raises_CommandExitException_with_the_code_and_the_tail_of_stderr()
    {
        var error = await Assert.ThrowsAsync<CommandExitException>(() => Kit.Run("err-lines", "3", "oops ", "exit", "3").RunAsync());

        Assert.Equal(3, error.ExitCode);
        Assert.Null(error.Signal);
        Assert.Equal("oops 0\noops 1\noops 2\n", error.StandardErrorTail);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("oops 2", error.Message);
    }

    [Fact]
    public async Task A_non_zero_exit_is_an_ordinary_result_when_throwing_is_switched_off()
    {
        var result = await Kit.Run("exit", "7").WithThrowOnNonZeroExit(false).RunAsync();

        Assert.Equal(7, result.ExitCode);
        Assert.False(result.IsSuccess);
    }

    [Fact]
    public async Task Death_by_a_signal_reports_the_signal_and_128_plus_it()
    {
        var result = await Kit.Run("kill-self", "10").WithThrowOnNonZeroExit(false).RunAsync();

        Assert.Equal(Signals.User1, result.Signal);
        Assert.Equal(128 + Signals.User1, result.ExitCode);
        Assert.Equal(CommandStopReason.None, result.StopReason);
        var error = await Assert.ThrowsAsync<CommandExitException>(() => Kit.Run("kill-self", "9").RunAsync());
        Assert.Equal(Signals.Kill, error.Signal);
        Assert.Contains("SIGKILL", error.Message);
    }

    [Fact]
    public async Task The_child_starts_with_SIGPIPE_at_its_default_so_a_closed_pipe_ends_it_as_in_a_shell()
    {
        // .NET ignores SIGPIPE, and an ignored signal survives exec; the spawner resets it. `yes` writing
        // into a pipe whose reader has gone must die of SIGPIPE rather than loop on EPIPE.
        var result = await (Command.Create("yes") | Command.Create("head", "-c", "10")).RunAsync();

        Assert.Equal(Signals.Pipe, result.Stages[0].Signal);
        Assert.Equal("y\ny\ny\ny\ny\n", result.StandardOutput);
    }

    [Fact]
    public async Task The_child_starts_with_no_signal_blocked_or_ignored_and_leads_its_own_process_group()
    {
        var status = await Command.Create("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status").RunAsync();
        var group = await Command.Shell("cut -d' ' -f5 /proc/$$/stat; echo $$").RunAsync();

        Assert.Equal("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", status.StandardOutput);
        var lines = group.StandardOutput.Split('\n');
        Assert.Equal(lines[1], lines[0]);
    }

    [Fact]
    public async Task Arguments_reach_the_child_exactly_as_given_with_no_shell_in_between()
    {
        string[] arguments = ["", "two words", ";", "$(touch /tmp/gamut-pwned)", "`id`", "*", "-rf", "--", "a\"b'c", "tab\there", "line\nbreak", "ünïcødé ✓", "$HOME"];

        var result = await Kit.Run(["argv-json", .. arguments]).RunAsync();

        Assert.Equal(arguments, JsonSerializer.Deserialize<string[]>(result.StandardOutput));
        Assert.False(File.Exists("/tmp/gamut-pwned"));
    }

    [Fact]
    public async Task The_environment_can_be_set_unset_and_cleared()
    {
        Environment.SetEnvironmentVariable("GAMUT_TEST_INHERITED", "from-parent");
        var inherited = await Kit.Run("env", "GAMUT_TEST_INHERITED").RunAsync();
        var set = await Kit.Run("env", "GAMUT_X").WithEnvironment("GAMUT_X", "x=1 ü").RunAsync();
        var unset = await Kit.Run("env", "GAMUT_TEST_INHERITED").WithoutEnvironmentVariable("GAMUT_TEST_INHERITED").RunAsync();
        var cleared = await Kit.Run("env").WithClearedEnvironment().WithEnvironment("ONLY", "this").RunAsync();

        Assert.Equal("from-parent\n", inherited.StandardOutput);
        Assert.Equal("x=1 ü\n", set.StandardOutput);
        Assert.Equal("<unset>\n", unset.StandardOutput);
        Assert.Contains("ONLY=this\n", cleared.StandardOutput);
        Assert.DoesNotContain("GAMUT_TEST_INHERITED", cleared.StandardOutput);
        Assert.DoesNotContain("PATH=", cleared.StandardOutput);
    }

    [Fact]
    public async Task The_working_directory_is_the_one_given()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-cwd-").FullName;
        try
        {
            var result = await Kit.Run("cwd").WithWorkingDirectory(dir).RunAsync();
            Assert.Equal(dir + "\n", result.StandardOutput);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public async Task Stdin_comes_from_text_bytes_a_stream_or_a_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "from a file");
            var text = await Kit.Run("cat").WithStandardInput(InputSource.FromText("héllo")).RunAsync();
            var bytes = await Kit.Run("cat").WithStandardInput(InputSource.FromBytes(new byte[] { 1, 2, 3 })).RunAsync();
            var stream = await Kit.Run("cat").WithStandardInput(InputSource.FromStream(new MemoryStream(Encoding.UTF8.GetBytes("from a stream")))).RunAsync();
            var file = await Kit.Run("cat").WithStandardInput(InputSource.FromFile(path)).RunAsync();
            var none = await Kit.Run("cat").RunAsync();

            Assert.Equal("héllo", text.StandardOutput);
            Assert.Equal(new byte[] { 1, 2, 3 }, bytes.StandardOutputBytes.ToArray());
            Assert.Equal("from a stream", stream.StandardOutput);
            Assert.Equal("from a file", file.StandardOutput);
            Assert.Equal("", none.StandardOutput);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Output_goes_to_a_file_a_stream_a_line_callback_or_nowhere()
    {
        var path = Path.GetTempFileName();
        try
        {
            var stream = new MemoryStream();
            var lines = new List<string>();
            var toFile = await Kit.Run("out-lines", "2").WithStandardOutput(OutputTarget.ToFile(path)).RunAsync();
            await Kit.Run("out-lines", "2", "more ").WithStandardOutput(OutputTarget.ToFile(path, append: true)).RunAsync();
            await Kit.Run("out-lines", "3").WithStandardOutput(OutputTarget.ToStream(stream)).RunAsync();
            await Kit.Run("out-lines", "3", "err-lines", "1", "e").WithStandardOutput(OutputTarget.ToLines(lines.Add)).WithStandardError(OutputTarget.ToLines(lines.Add)).RunAsync();
            var discarded = await Kit.Run("out", "100000").WithStandardOutput(OutputTarget.Null).RunAsync();

            Assert.Equal("", toFile.StandardOutput);
            Assert.Equal("line 0\nline 1\nmore 0\nmore 1\n", await File.ReadAllTextAsync(path));
            Assert.Equal("line 0\nline 1\nline 2\n", Encoding.UTF8.GetString(stream.ToArray()));
            Assert.Equal(["e0", "line 0", "line 1", "line 2"], lines.Order(StringComparer.Ordinal));
            Assert.Equal(0, discarded.StandardOutputBytes.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Stderr_can_be_merged_into_stdout()
    {
        var result = await Command.Shell("echo out; echo err >&2; echo out2").WithStandardError(OutputTarget.StandardOutput).RunAsync();

        Assert.Equal("out\nerr\nout2\n", result.StandardOutput);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public async Task A_shell_runs_only_through_Command_Shell_and_its_arguments_stay_positional_parameters()
    {
        var result = await Command.Shell("printf '%s|' \"$@\"; echo \"$0\"", "a b", ";", "$(id)").RunAsync();

        Assert.Equal("a b|;|$(id)|sh\n", result.StandardOutput);
    }

    [Fact]
    public async Task A_name_without_a_slash_is_found_in_PATH()
    {
        var result = await Command.Create("echo", "hi").RunAsync();

        Assert.Equal("hi\n", result.StandardOutput);
    }

    [Fact]
    public async Task A_command_is_immutable_and_can_run_many_times()
    {
        var command = Kit.Run("echo-args", "x");
        var changed = command.WithArguments("echo-args", "y");

        Assert.Equal("x\n", (await command.RunAsync()).StandardOutput);
        Assert.Equal("x\n", (await command.RunAsync()).StandardOutput);
        Assert.Equal("y\n", (await changed.RunAsync()).StandardOutput);
        Assert.Equal(Kit.Executable + " echo-args x", command.ToString());
    }
}
