using System.Text.Json;

namespace Gamut.Cli.Tests;

/// <summary>What gamut has and GNU parallel does not: JSON output, helpful errors, the top-level commands.</summary>
public sealed class GamutOnlyTests
{
    [Fact]
    public void Json_gives_one_object_per_finished_job()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = ProgramRun.RunGamut(["--json", "-k", "echo {}; echo err >&2; exit {#}", ":::", "a b", "c"]);
        var wall = clock.Elapsed.TotalSeconds;

        Assert.Equal(2, result.ExitCode);
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var job = first.RootElement;
        Assert.Equal(1, job.GetProperty("seq").GetInt32());
        Assert.Equal("a b", job.GetProperty("input")[0].GetString());
        Assert.Equal("echo 'a b'; echo err >&2; exit 1", job.GetProperty("command").GetString());
        Assert.Equal(1, job.GetProperty("exit").GetInt32());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("signal").ValueKind);
        Assert.Equal("a b\n", job.GetProperty("stdout").GetString());
        Assert.Equal("err\n", job.GetProperty("stderr").GetString());
        Assert.InRange(job.GetProperty("duration").GetDouble(), double.Epsilon, wall); // measured, in seconds, within the run
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(2, second.RootElement.GetProperty("seq").GetInt32());
    }

    [Fact]
    public void Json_gives_a_job_s_duration_in_seconds_at_least_as_long_as_the_job_ran()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = ProgramRun.RunGamut(["--json", "sleep {}", ":::", "0.3"]);
        var wall = clock.Elapsed.TotalSeconds;

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.InRange(doc.RootElement.GetProperty("duration").GetDouble(), 0.3, wall); // a lower bound: holds under any load
    }

    [Fact]
    public void Json_reports_the_signal_that_ended_a_job()
    {
        var result = ProgramRun.RunGamut(["--json", "kill -KILL $$", ":::", "1"]);

        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(9, doc.RootElement.GetProperty("signal").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("exit").GetInt32());
    }

    [Theory]
    [InlineData("unknown option '--frobnicate'", "--frobnicate", "echo", ":::", "a")]
    [InlineData("-j 'abc' is not a number of jobs", "-j", "abc", "echo", ":::", "a")]
    [InlineData("-j -9 leaves no job slot", "-j", "-9", "echo", ":::", "a")]
    [InlineData("--halt 'sometimes'", "--halt", "sometimes", "echo", ":::", "a")]
    [InlineData("--halt 'now,fail=x'", "--halt", "now,fail=x", "echo", ":::", "a")]
    [InlineData("--timeout '-1' must be more than zero", "--timeout", "-1", "echo", ":::", "a")]
    [InlineData("cannot open input file 'no-such-file': no such file or directory", "echo", "::::", "no-such-file")]
    [InlineData("cannot open input file '/': it is a directory", "echo", "::::", "/")]
    [InlineData("':::+' links to the input source before it", "echo", ":::+", "a")]
    [InlineData("'::::' needs at least one file name", "echo", "::::")]
    [InlineData("--resume needs --joblog", "--resume", "echo", ":::", "a")]
    [InlineData("Perl expressions", "echo", "{= $_ =}", ":::", "a")]
    [InlineData("option -j needs a value", "-j")]
    [InlineData("--colsep '(' is not a valid regular expression", "--colsep", "(", "echo", ":::", "a")]
    public void A_bad_command_line_gets_one_line_naming_the_problem_and_a_usage_hint(string expected, params string[] args)
    {
        var result = ProgramRun.RunGamut(args);

        Assert.Equal(255, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("gamut run: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Usage: gamut run", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void No_command_and_no_input_at_a_terminal_is_an_error_not_a_wait()
    {
        // script(1) gives gamut a terminal for stdin, where GNU parallel would sit waiting for input lines.
        var result = ProgramRun.Run("/usr/bin/script", ["-qec", $"'{ProgramRun.Gamut}' run", "/dev/null"], hangGuardSeconds: 20);

        Assert.Equal(255, result.ExitCode);
        Assert.Contains("missing command", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_and_version_answer_at_the_top_level_and_for_run()
    {
        var help = ProgramRun.Run(ProgramRun.Gamut, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("gamut run", help.Stdout, StringComparison.Ordinal);

        var version = ProgramRun.Run(ProgramRun.Gamut, ["--version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^gamut \d+\.\d+\.\d+", version.Stdout);

        var runHelp = ProgramRun.RunGamut(["--help"]);
        Assert.Equal(0, runHelp.ExitCode);
        Assert.Contains("--halt", runHelp.Stdout, StringComparison.Ordinal);

        var nothing = ProgramRun.Run(ProgramRun.Gamut, []);
        Assert.Equal(255, nothing.ExitCode);

        var unknown = ProgramRun.Run(ProgramRun.Gamut, ["frobnicate"]);
        Assert.Equal(255, unknown.ExitCode);
        Assert.Contains("unknown command 'frobnicate'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_terminal_there_is_no_progress_display_on_stderr()
    {
        var result = ProgramRun.RunGamut(["echo", ":::", "a", "b"]);

        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void Jobs_get_GNU_parallel_environment_variables()
    {
        var result = ProgramRun.RunGamut(["-j1", "-k", "echo $PARALLEL_SEQ $PARALLEL_JOBSLOT {}", ":::", "a", "b"]);

        Assert.Equal("1 1 a\n2 1 b\n", result.Stdout);
    }

    [Fact]
    public void A_very_long_input_line_and_NUL_free_binary_survive()
    {
        var line = new string('x', 100_000);
        var result = ProgramRun.RunGamut(["-k", "printf '%s' {} | wc -c"], stdin: line + "\n");

        Assert.Equal("100000\n", result.Stdout.TrimStart());
    }

    [Fact]
    public void Output_redirected_to_a_file_is_written_where_the_shell_put_it()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-redirect-");
        try
        {
            var script = $"echo first > f; '{ProgramRun.Gamut}' run -k echo ::: a b >> f; '{ProgramRun.Gamut}' run echo ::: c >> f; cat f";
            var result = ProgramRun.Run("/bin/bash", ["-c", script], workingDirectory: dir.FullName);

            Assert.Equal("first\na\nb\nc\n", result.Stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
