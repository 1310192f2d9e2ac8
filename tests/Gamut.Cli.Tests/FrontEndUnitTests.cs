using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Halt;
using Gamut.Cli.Run.Inputs;
using Gamut.Cli.Run.Options;
using Gamut.Cli.Run.Templates;

namespace Gamut.Cli.Tests;

/// <summary>The front end's pieces on their own: parsing, quoting, templates, the no-shell decision, halting.</summary>
public sealed class FrontEndUnitTests
{
    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("a/b.c-d_e+f", "a/b.c-d_e+f")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\"'\"'s'")]
    [InlineData("'x'", "\"'\"'x'\"'\"")]
    [InlineData("$HOME", "'$HOME'")]
    public void Values_are_quoted_as_GNU_parallel_quotes_them(string value, string quoted) =>
        Assert.Equal(quoted, ShellQuote.Quote(value));

    [Theory]
    [InlineData("foo/bar.tar.gz", "foo/bar.tar", "bar.tar.gz", "foo", "bar.tar")]
    [InlineData(".hidden", "", ".hidden", ".", "")]
    [InlineData("a.b/c", "a.b/c", "c", "a.b", "c")]
    [InlineData("/", "/", "", "/", "")]
    [InlineData("a/b/", "a/b/", "", "a", "")]
    public void Path_modifiers_follow_parallel_s_rules(string value, string noExt, string basename, string dirname, string baseNoExt)
    {
        Assert.Equal(noExt, PathModifiers.Apply(PathModifier.NoExtension, value));
        Assert.Equal(basename, PathModifiers.Apply(PathModifier.Basename, value));
        Assert.Equal(dirname, PathModifiers.Apply(PathModifier.Dirname, value));
        Assert.Equal(baseNoExt, PathModifiers.Apply(PathModifier.BasenameNoExtension, value));
    }

    [Fact]
    public void A_template_without_replacement_strings_gets_the_quoted_values_appended()
    {
        var template = CommandTemplate.Parse(["echo", "x"]);

        Assert.Equal("echo x 'a b' c", template.Compose(["a b", "c"], 1, 1));
    }

    [Fact]
    public void Replacement_strings_compose_inside_words()
    {
        var template = CommandTemplate.Parse(["cp", "{1}", "{2/}.{#}-{%}", "{foo}"]);

        Assert.Equal("cp 'a b' c.7-3 {foo}", template.Compose(["a b", "dir/c"], 7, 3));
    }

    [Theory]
    [InlineData("echo a 'b c'", new[] { "echo", "a", "b c" })]
    [InlineData("gzip -9 'x'\"'\"'y'", new[] { "gzip", "-9", "x'y" })]
    [InlineData("cmd a=b", new[] { "cmd", "a=b" })]
    public void Plain_lines_split_into_argv(string line, string[] argv) =>
        Assert.Equal(argv, DirectExec.Split(line));

    [Theory]
    [InlineData("echo $HOME")]
    [InlineData("ls *.txt")]
    [InlineData("a | b")]
    [InlineData("x > y")]
    [InlineData("A=1 cmd")]
    [InlineData("echo \"$x\"")]
    [InlineData("~/bin/x")]
    public void Lines_a_shell_would_interpret_are_not_split(string line) =>
        Assert.Null(DirectExec.Split(line));

    [Fact]
    public void Builtins_and_unknown_programs_go_to_the_shell()
    {
        var direct = new DirectExec(name => name == "gzip" ? "/usr/bin/gzip" : null);

        Assert.NotNull(direct.TrySplit("gzip -9 a"));
        Assert.Null(direct.TrySplit("cd /tmp"));
        Assert.Null(direct.TrySplit("no-such-program a"));
        Assert.Null(direct.TrySplit("echo -n a"));
    }

    [Fact]
    public void The_parser_stops_at_the_command_and_reads_input_groups()
    {
        var options = RunOptionsParser.Parse(["-kj4", "--tag", "grep", "-v", "x", ":::", "a", "b", ":::+", "1", "2", "::::", "f", "g"]);

        Assert.True(options.KeepOrder);
        Assert.True(options.Tag);
        Assert.Equal(4, options.Jobs.Resolve(2));
        Assert.Equal(["grep", "-v", "x"], options.Command);
        Assert.Equal(4, options.Inputs.Count);
        Assert.True(options.Inputs[1].Linked);
        Assert.Equal(InputSourceKind.File, options.Inputs[3].Kind);
    }

    [Theory]
    [InlineData("4", 2, 4)]
    [InlineData("0", 2, JobsSpec.Unlimited)]
    [InlineData("50%", 2, 1)]
    [InlineData("+3", 2, 5)]
    [InlineData("-1", 2, 1)]
    public void Job_slots_resolve_against_the_cores(string spec, int cores, int expected) =>
        Assert.Equal(expected, JobsSpec.Parse(spec).Resolve(cores));

    [Fact]
    public void Halt_fail_1_exits_with_the_failing_job_s_status()
    {
        var halt = new HaltPolicy(HaltSpec.Parse("now,fail=1"), () => 10);
        Assert.Equal(HaltWhen.Never, halt.OnFinished(0, 0));
        Assert.Equal(HaltWhen.Now, halt.OnFinished(0, 9));
        Assert.Equal(137, halt.ExitStatus());
    }

    [Fact]
    public void Without_halt_the_exit_status_counts_failures_up_to_101()
    {
        var halt = new HaltPolicy(HaltSpec.Never, () => 200);
        for (var i = 0; i < 150; i++)
        {
            halt.OnFinished(1, 0);
        }

        Assert.Equal(101, halt.ExitStatus());
    }

    [Fact]
    public void Slots_are_the_lowest_free_numbers()
    {
        var slots = new SlotPool(3);
        Assert.Equal(1, slots.Take());
        Assert.Equal(2, slots.Take());
        slots.Release(1);
        Assert.Equal(1, slots.Take());
        Assert.Equal(3, slots.Take());
    }
}
