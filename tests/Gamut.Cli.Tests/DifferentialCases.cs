namespace Gamut.Cli.Tests;

/// <summary>The invocations of the differential suite: every input form, replacement string and option gamut run shares with GNU parallel.</summary>
public static class DifferentialCases
{
    private static readonly Dictionary<string, string> Lists = new()
    {
        ["in1"] = "a b\r\n\nc\n",
        ["in2"] = "x\ny",
        ["cols"] = "a:b:c\nd::f\n",
    };

    private static IReadOnlyList<DifferentialCase>? _all;

    public static IReadOnlyList<DifferentialCase> All => _all ??= [.. Core, .. OptionCases.All];

    private static IReadOnlyList<DifferentialCase> Core { get; } =
    [
        // Inputs
        new("one group", ["echo", ":::", "a", "b", "c"]) { Sorted = true },
        new("two groups combine, last fastest", ["-k", "echo", ":::", "a", "b", ":::", "1", "2"]),
        new("three groups", ["-k", "echo", ":::", "a", "b", ":::", "1", "2", ":::", "x", "y"]),
        new("linked group stops at the shorter", ["-k", "echo", ":::", "a", "b", "c", ":::+", "1", "2"]),
        new("linked then combined", ["-k", "echo", "{1}-{2}-{3}", ":::", "a", "b", ":::+", "1", "2", ":::", "x", "y"]),
        new("file source", ["-k", "echo", "::::", "in1"]) { Files = Lists },
        new("two file sources combine", ["-k", "echo", "::::", "in2", "in2"]) { Files = Lists },
        new("file then values", ["-k", "echo", "::::", "in2", ":::", "1", "2"]) { Files = Lists },
        new("-a file", ["-k", "-a", "in2", "echo"]) { Files = Lists },
        new("-a twice combines", ["-k", "-a", "in1", "-a", "in2", "echo"]) { Files = Lists },
        new("-a comes before :::", ["-k", "-a", "in2", "echo", ":::", "1", "2"]) { Files = Lists },
        new("stdin one per line, CR and empty lines kept", ["-k", "--dry-run", "echo"]) { Stdin = "a b\r\n\nc\n" },
        new("stdin without final newline", ["-k", "echo"]) { Stdin = "x\ny" },
        new("-0 NUL separated", ["-0", "-k", "echo"]) { Stdin = "a b\0c\nd\0" },
        new("--colsep columns", ["-k", "--colsep", ":", "echo", "{3}-{1}-{2}"]) { Stdin = "a:b:c\nd::f\n" },
        new("--colsep appends quoted columns", ["-k", "--colsep", ":", "--dry-run", "echo"]) { Stdin = "a:b:c\nd::f\n" },
        new("--colsep regex and trimming", ["-k", "--colsep", "\\s+", "echo", "[{2}]", "[{1}]"]) { Stdin = "a  b\tc\n d  e \n" },
        new("--colsep on a file", ["-k", "-C", ":", "echo", "{2}", "::::", "cols"]) { Files = Lists },
        new("empty ::: runs nothing", ["echo", ":::"]),
        new("empty stdin runs nothing", ["echo"]) { Stdin = "" },
        // A program found once per run on PATH still sees its name, not the path, as argv[0] (as the shell passes it).
        new("argv[0] is the name, direct exec", ["-k", "head", "-c", "5", "/proc/self/cmdline", ":::", "/dev/null"]),

        // Replacement strings
        new("path replacement strings", ["-k", "echo", "{}", "{.}", "{/}", "{//}", "{/.}", ":::", "foo/bar.tar.gz", "bar", ".hidden", "a.b/c", "/x.y", "/", "a/b/", "c."]),
        new("positional with modifiers", ["-k", "echo", "{1.}", "{2/}", "{2//}", "{1/.}", "{2}", ":::", "a/b.c", ":::", "d/e.f"]),
        new("negative positions and {0}", ["-k", "echo", "{-1}", "{-2}", "{0}", ":::", "x", ":::", "y"]),
        new("position past the values is empty", ["-k", "--dry-run", "echo", "{1}", "{2}", "{3}", ":::", "a", ":::", "b"]),
        new("{#} sequence", ["-k", "echo", "{#}", "{}", ":::", "a", "b", "c"]),
        new("{%} slot with one job slot", ["-j1", "-k", "echo", "{%}", ":::", "a", "b"]),
        new("{} inside a word, twice", ["-k", "--dry-run", "echo", "{}x{}", ":::", "a b", ":::", "c"]),
        new("{} inside double quotes stays quoted", ["-k", "echo \"{}\"", ":::", "a b"]),
        new("unknown braces are literal", ["-k", "echo", "{foo}", "{a,b}", "{}", "{1x}", ":::", "x"]),
        new("multiple values with {.}", ["-k", "echo", "{.}", ":::", "a.x", ":::", "b.y"]),

        // Quoting and command semantics
        new("inputs stay literal", ["-k", "echo", ":::", "$HOME", "*", ";ls", "it's", "a  b", "", "a\"b", "x\\y", "`id`", "$(id)", "~", "#c", "a|b", "é ü"]),
        new("dry-run quoting", ["-k", "--dry-run", "echo", ":::", "$HOME", "*", ";ls", "it's", "''", "", "a\"b", "x\\y", "é", "a,b", "a=b", "~x", "%", "@", ":", "!x", "^x", "-n"]),
        new("command words are joined with spaces", ["-k", "echo", "a  b", "c;echo", "d", ":::", "x"]),
        new("a pipeline in the command", ["-k", "echo {} | tr a-z A-Z", ":::", "abc", "def"]),
        new("shell builtins and options", ["-k", "echo", "-e", "{}\\\\tz", ":::", "a"]),
        new("echo -n through the shell", ["-k", "echo", "-n", "{}", ":::", "a", "b"]),
        new("printf runs directly", ["-k", "printf", "%s-%s\\n", "{}", "{}", ":::", "a", "b c"]),
        new("no command: inputs are the commands", ["-k", ":::", "echo hi", "echo $((1+2))"]),
        new("no command with two groups", ["-k", ":::", "echo", ":::", "a  b", "c"]),
        new("command not found", ["-k", "no-such-command-gamut", ":::", "a"]),
        new("program by path", ["-k", "/bin/echo", ":::", "a"]),
        new("environment variables", ["-k", "echo $PARALLEL_SEQ {}", ":::", "a", "b"]),

        // Exit status and --halt
        new("exit status counts failures", ["exit {}", ":::", "0", "1", "2", "3"]),
        new("exit status caps at 101", ["-j4", "exit 1", ":::", .. Enumerable.Range(1, 120).Select(i => i.ToString())]) { Sorted = true },
        new("halt now fail=1 gives the job's status", ["-j1", "--halt", "now,fail=1", "echo {}; exit {}", ":::", "0", "0", "3", "0"]),
        new("halt soon fail=2", ["-j1", "--halt", "soon,fail=2", "echo {}; exit {}", ":::", "0", "1", "0", "2", "0", "0"]),
        new("halt now success=1", ["-j1", "--halt", "now,success=1", "echo {}; exit {}", ":::", "1", "2", "0", "1"]),
        new("halt soon fail=50%", ["-j1", "--halt", "soon,fail=50%", "echo {}; exit {}", ":::", "1", "0", "2", "0", "0", "0"]),
        new("halt now done=2", ["-j1", "--halt", "now,done=2", "echo {}; exit {}", ":::", "0", "4", "0"]),
        new("halt 2 is now,fail=1", ["-j1", "--halt", "2", "echo {}; exit {}", ":::", "0", "5", "0"]),
        new("halt never", ["-j1", "--halt", "never", "exit {}", ":::", "0", "5", "0"]),
        new("a signal counts as a failure", ["-j1", "--halt", "now,fail=1", "kill -TERM $$", ":::", "1"]),

        // Output
        new("--tag", ["-k", "--tag", "echo", ":::", "a", "b c", ":::", "1"]),
        new("--tagstring", ["-k", "--tagstring", "<{}-{#}>", "echo", ":::", "a", "b c"]),
        new("--tag on partial lines and stderr", ["-k", "--tag", "printf 'x\\ny'; echo e >&2", ":::", "1", "2"]),
        new("grouped stdout and stderr", ["-k", "echo out {}; echo err {} >&2; echo out2 {}", ":::", "1", "2", "3"]),
        new("--line-buffer", ["--line-buffer", "echo {}; echo {}{}", ":::", "a", "b"]) { Sorted = true },
        new("-u ungrouped", ["-u", "echo", ":::", "a", "b", "c"]) { Sorted = true },
        new("--bar keeps stdout clean", ["--bar", "echo", ":::", "a", "b"]) { Sorted = true },
        new("-v prints the command", ["-k", "-v", "echo", ":::", "a", "b"]),

        // Jobs, retries, timeouts, ordering
        new("-j 0", ["-j", "0", "echo", ":::", "a", "b", "c"]) { Sorted = true },
        new("-j N%", ["-j", "200%", "-k", "echo", ":::", "a", "b", "c"]),
        new("-j +N", ["-j", "+1", "-k", "echo", ":::", "a", "b", "c"]),
        new("-k keeps order against finishing order", ["-k", "-j3", "sleep 0.{}; echo {}", ":::", "3", "1", "2"]),
        new("--retries runs a failing job again, output once", ["--retries", "3", "echo x; false", ":::", "1"]),
        new("--retries stops at success", ["-k", "--retries", "3", "echo {}; test -e f{} || { touch f{}; false; }", ":::", "1", "2"]),
        new("--timeout stops slow jobs", ["-k", "--timeout", "1", "sleep {}; echo {}", ":::", "0.1", "5"]),
        new("--delay", ["-k", "--delay", "0.1", "echo", ":::", "a", "b"]),
        new("--shuf", ["--shuf", "echo", ":::", "a", "b", "c", "d"]) { Sorted = true },

        // Joblog and resume
        new("--joblog", ["-k", "-j1", "--joblog", "log", "echo {}; exit {}", ":::", "0", "3", "0"]) { CompareFile = "log" },
        new("--resume skips logged jobs", ["-k", "-j1", "--joblog", "log", "--resume", "echo {}; exit {}", ":::", "0", "3", "0", "4"])
        {
            CompareFile = "log",
            Files = new Dictionary<string, string> { ["log"] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n1\t:\t1.000\t     0.001\t0\t0\t0\t0\techo 0; exit 0\n2\t:\t1.000\t     0.001\t0\t0\t3\t0\techo 3; exit 3\n" },
        },
        new("--resume-failed runs failed jobs again", ["-k", "-j1", "--joblog", "log", "--resume-failed", "echo {}; exit {}", ":::", "0", "3", "0", "4"])
        {
            CompareFile = "log",
            Files = new Dictionary<string, string> { ["log"] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n1\t:\t1.000\t     0.001\t0\t0\t0\t0\techo 0; exit 0\n2\t:\t1.000\t     0.001\t0\t0\t3\t0\techo 3; exit 3\n" },
        },

        // Errors
        new("bad -j", ["-j", "abc", "echo", ":::", "a"]) { CompareStdout = false },
        new("bad --halt", ["--halt", "sometimes", "echo", ":::", "a"]),
        new("missing input file", ["echo", "::::", "no-such-file"]),
        new("unknown option", ["--frobnicate", "echo", ":::", "a"]) { CompareStdout = false },
    ];
}
