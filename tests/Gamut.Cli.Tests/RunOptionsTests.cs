using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Tests;

/// <summary>
/// The parts of issue 19 the differential suite cannot show: the semaphore across separate gamut processes, the
/// errors in gamut's words for bad values of the new options, --pipe over many blocks, and the option readers.
/// </summary>
public sealed class RunOptionsTests
{
    [Fact]
    public void A_semaphore_of_one_slot_runs_background_commands_one_at_a_time_and_wait_waits_for_all()
    {
        var home = Directory.CreateTempSubdirectory("gamut-sem-");
        try
        {
            // Each command writes start and end around a pause; with one slot no start may come between them.
            var script = $$"""
                for i in 1 2 3 4; do
                  '{{ProgramRun.Gamut}}' sem --id test-mutex "echo start $i >>log; sleep 0.1; echo end $i >>log"
                done
                '{{ProgramRun.Gamut}}' sem --id test-mutex --wait
                cat log
                """;
            var result = ProgramRun.Run("/bin/bash", ["-c", script], env: new Dictionary<string, string> { ["HOME"] = home.FullName }, workingDirectory: home.FullName);

            Assert.Equal(0, result.ExitCode);
            var lines = result.Stdout.TrimEnd('\n').Split('\n');
            Assert.Equal(8, lines.Length);
            for (var i = 0; i < lines.Length; i += 2)
            {
                Assert.StartsWith("start ", lines[i], StringComparison.Ordinal);
                Assert.Equal("end " + lines[i]["start ".Length..], lines[i + 1]);
            }

            Assert.True(Directory.Exists(Path.Combine(home.FullName, ".parallel", "semaphores", "id-test-mutex")));
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_semaphore_of_two_slots_never_runs_three_at_once()
    {
        var home = Directory.CreateTempSubdirectory("gamut-sem-");
        try
        {
            // Each command adds +1 when it starts and -1 when it ends; the running sum must stay within the slots.
            var script = $$"""
                for i in 1 2 3 4 5; do
                  '{{ProgramRun.Gamut}}' sem --id test-two -j2 "echo 1 >>log; sleep 0.1; echo -1 >>log"
                done
                '{{ProgramRun.Gamut}}' sem --id test-two --wait
                cat log
                """;
            var result = ProgramRun.Run("/bin/bash", ["-c", script], env: new Dictionary<string, string> { ["HOME"] = home.FullName }, workingDirectory: home.FullName);

            Assert.Equal(0, result.ExitCode);
            var steps = result.Stdout.TrimEnd('\n').Split('\n').Select(int.Parse).ToList();
            Assert.Equal(10, steps.Count);
            var running = 0;
            foreach (var step in steps)
            {
                running += step;
                Assert.InRange(running, 0, 2);
            }
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sem_in_the_foreground_gives_the_commands_exit_status_and_output()
    {
        var home = Directory.CreateTempSubdirectory("gamut-sem-");
        try
        {
            var result = ProgramRun.Run(ProgramRun.Gamut, ["sem", "--fg", "--id", "fg", "echo hello; exit 7"], env: new Dictionary<string, string> { ["HOME"] = home.FullName });

            Assert.Equal(7, result.ExitCode);
            Assert.Equal("hello\n", result.Stdout);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public void Pipe_gives_every_line_to_exactly_one_job_over_many_blocks()
    {
        // 2,000,000 lines, ~15 MB: about fifteen 1 MiB blocks, four jobs at a time.
        var input = string.Concat(Enumerable.Range(1, 2_000_000).Select(i => $"{i}\n"));
        var counted = ProgramRun.RunGamut(["-j4", "--pipe", "wc -l"], input);
        var copied = ProgramRun.RunGamut(["-j4", "-k", "--pipe", "cat"], input);

        Assert.Equal(0, counted.ExitCode);
        var blocks = counted.Stdout.TrimEnd('\n').Split('\n').Select(long.Parse).ToList();
        Assert.True(blocks.Count >= 10, $"{blocks.Count} blocks");
        Assert.Equal(2_000_000, blocks.Sum());
        Assert.Equal(0, copied.ExitCode);
        Assert.True(input == copied.Stdout, "the blocks, in order, are not the input");
    }

    [Theory]
    [InlineData("--block must be more than zero bytes", "--pipe", "--block", "0", "wc")]
    [InlineData("--block 'lots': unknown unit 's'", "--pipe", "--block", "lots", "wc")]
    [InlineData("--block 'x1' is not a size", "--pipe", "--block", "x1", "wc")]
    [InlineData("--termseq 'TERM,x': 'x' is not a number of milliseconds", "--termseq", "TERM,x", "echo", ":::", "a")]
    [InlineData("--termseq 'NOPE,10': 'NOPE' is not a signal", "--termseq", "NOPE,10", "echo", ":::", "a")]
    [InlineData("--results 'out.csv': CSV, TSV and JSON result files are not supported", "--results", "out.csv", "echo", ":::", "a")]
    [InlineData("--retry-failed needs --joblog", "--retry-failed", "echo")]
    [InlineData("--header '(' is not a valid regular expression", "--pipe", "--header", "(", "wc")]
    [InlineData("--pipe reads standard input", "--pipe", "wc", ":::", "a")]
    [InlineData("-N 'x' is not a whole number", "-N", "x", "echo", ":::", "a")]
    [InlineData("--memfree 'plenty': unknown unit 'y'", "--memfree", "plenty", "echo", ":::", "a")]
    [InlineData("--load '0' is not a positive number", "--load", "0", "echo", ":::", "a")]
    [InlineData("profile 'no-such-profile' not found", "-J", "no-such-profile", "echo", ":::", "a")]
    [InlineData("--recstart and --recend cannot both be empty", "--pipe", "--recend", "", "wc")]
    [InlineData("-I needs a non-empty value", "-I", "", "echo", ":::", "a")]
    public void A_bad_value_for_a_new_option_gets_one_line_naming_the_problem(string expected, params string[] args)
    {
        var result = ProgramRun.RunGamut(args, "a\n");

        Assert.Equal(255, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var first = result.Stderr.Split('\n')[0];
        Assert.StartsWith("gamut run: ", first, StringComparison.Ordinal);
        Assert.Contains(expected, first, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_PARALLEL_variable_is_named_in_the_error()
    {
        var result = ProgramRun.RunGamut(["echo", ":::", "a"], env: new Dictionary<string, string> { ["PARALLEL"] = "-k 'unclosed" });

        Assert.Equal(255, result.ExitCode);
        Assert.Contains("$PARALLEL: a single quote is not closed", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-k --tag", new[] { "-k", "--tag" })]
    [InlineData("  a\t'b c'  \"d \\\" e\" f\\ g ''", new[] { "a", "b c", "d \" e", "f g", "" })]
    [InlineData("x'y'\"z\"", new[] { "xyz" })]
    public void Shell_words_split_like_a_shell_without_expanding(string line, string[] words) =>
        Assert.Equal(words, ShellWords.Split(line, "test"));

    [Theory]
    [InlineData("1M", 1048576L)]
    [InlineData("1m", 1000000L)]
    [InlineData("100k", 100000L)]
    [InlineData("100K", 102400L)]
    [InlineData("2G", 2147483648L)]
    [InlineData("1.5k", 1500L)]
    [InlineData("123", 123L)]
    public void Sizes_read_upper_case_as_1024s_and_lower_case_as_1000s(string text, long bytes) =>
        Assert.Equal(bytes, Sizes.Parse("--block", text));

    [Theory]
    [InlineData(",", new byte[] { 44 })]
    [InlineData("\\n", new byte[] { 10 })]
    [InlineData("\\0", new byte[] { 0 })]
    [InlineData("\\x41\\101", new byte[] { 65, 65 })]
    [InlineData("::", new byte[] { 58, 58 })]
    public void Delimiters_take_C_escapes(string text, byte[] bytes) =>
        Assert.Equal(bytes, OptionValues.Delimiter(text));

    [Fact]
    public void A_termseq_reads_signals_by_name_or_number()
    {
        var seq = TermSeq.Parse("TERM,200,SIGINT,100,9,25");

        Assert.Equal([(15, 200), (2, 100), (9, 25)], seq.Steps);
    }
}
