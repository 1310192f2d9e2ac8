namespace Gamut.Cli.Tests;

/// <summary>
/// The differential invocations for the rest of parallel's options people use (issue 19): several values per job,
/// renamed replacement strings, delimiters, headers, --pipe, --results, options from $PARALLEL and profiles, the
/// joblog's append and order, --shuf numbering, --timeout N%, --termseq, --retry-failed, --memfree and --load.
/// </summary>
public static class OptionCases
{
    private const string Log = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

    private static string Lines(int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"{i}\n"));

    public static IReadOnlyList<DifferentialCase> All { get; } =
    [
        // Silently wrong before
        new("--joblog +FILE appends without a header", ["-k", "-j1", "--joblog", "+log", "echo {}; exit {}", ":::", "0", "2"])
        {
            CompareFile = "log",
            Files = new Dictionary<string, string> { ["log"] = Log + "1\t:\t1.000\t     0.001\t0\t0\t0\t0\told\n" },
        },
        new("--joblog +FILE on a new file", ["-k", "--joblog", "+log", "echo", ":::", "a"]) { CompareFile = "log" },
        new("$PARALLEL options", ["echo", ":::", "a", "b c"]) { Env = new Dictionary<string, string> { ["PARALLEL"] = "-k --tag" } },
        new("$PARALLEL with a quoted command word", [":::", "a", "b"]) { Env = new Dictionary<string, string> { ["PARALLEL"] = "-k -j1 'echo x'" } },
        new("command line after $PARALLEL", ["--tagstring", "[{}]", "echo", ":::", "a"]) { Env = new Dictionary<string, string> { ["PARALLEL"] = "-k --tag" } },
        new("~/.parallel/config", ["echo", ":::", "a", "b"])
        {
            Env = new Dictionary<string, string> { ["HOME"] = "{dir}" },
            Files = new Dictionary<string, string> { [".parallel/config"] = "# a comment\n-k --tagstring '<{}>'\n" },
        },
        new("-J profile instead of config", ["-J", "tags", "-k", "echo", ":::", "a", "b"])
        {
            Env = new Dictionary<string, string> { ["HOME"] = "{dir}" },
            Files = new Dictionary<string, string> { [".parallel/config"] = "--tagstring X\n", [".parallel/tags"] = "--tag\n" },
        },
        new("--plain ignores profiles and $PARALLEL", ["--plain", "-k", "echo", ":::", "a"])
        {
            Env = new Dictionary<string, string> { ["HOME"] = "{dir}", ["PARALLEL"] = "--tag" },
            Files = new Dictionary<string, string> { [".parallel/config"] = "--tagstring X\n" },
        },
        new("--shuf numbers {#} in run order", ["--shuf", "-j1", "echo {#}", ":::", "a", "b", "c", "d"]),
        new("--shuf joblog Seq in run order", ["--shuf", "-j1", "--joblog", "log", "echo {#}", ":::", "a", "b", "c"]) { CompareFile = "log" },
        new("--timeout 200% of the median stops a slow job", ["-k", "-j2", "--timeout", "200%", "sleep {}; echo {}", ":::", "0.3", "30"]),
        new("--timeout 300% in the joblog", ["-k", "-j1", "--joblog", "log", "--timeout", "300%", "sleep {}; echo {}", ":::", "0.2", "0.2", "30", "0.1"]) { CompareFile = "log" },
        new("-k joblog rows in input order", ["-k", "-j3", "--joblog", "log", "sleep 0.{}; echo {}", ":::", "3", "1", "2"]) { CompareFile = "log" },

        // Several values per job
        new("-N2", ["-k", "-N2", "echo", "{}", ":::", "a", "b", "c", "d", "e"]),
        new("-N2 positions", ["-k", "-N2", "echo", "{1}-{2}", ":::", "a", "b", "c", "d", "e"]),
        new("-n2 appends", ["-k", "-n2", "echo", ":::", "a", "b", "c", "d", "e"]),
        new("-N0 reads one value, gives none", ["-k", "-N0", "echo", "x", ":::", "a", "b", "c"]),
        new("-N2 across two sources", ["-k", "-N2", "echo", "{1}-{2}-{3}-{4}", ":::", "a", "b", ":::", "1", "2"]),
        new("-N3 {#} and --dry-run quoting", ["-k", "-N3", "--dry-run", "echo", "{#}", "{}", ":::", "a b", "c", "'d", "e"]),
        new("-L2 lines per job", ["-k", "-L2", "echo", "{1}+{2}"]) { Stdin = "a b\nc\nd e\nf\ng\n" },
        new("-l continues a line ending in a blank", ["-k", "-l", "--dry-run", "echo"]) { Stdin = "a b \nc\nd e\nf\n" },
        new("-X context replace", ["-k", "-j2", "-X", "echo", "pre{}post", ":::", "a", "b", "c", "d", "e"]),
        new("-X quoting", ["-k", "-j2", "--dry-run", "-X", "echo", "x{}y", "z", ":::", "a b", "c", "d'e"]),
        new("-m shares values among slots", ["-k", "-j3", "-m", "echo", "{}", ":::", "a", "b", "c", "d", "e", "f", "g"]),
        new("-m with the word around {}", ["-k", "-j2", "-m", "echo", "pre{}post", ":::", "a", "b", "c", "d", "e"]),
        new("-m fills long lines first", ["-k", "-j1", "-m", "echo"]) { Stdin = Lines(1, 30000), CompareStdout = true },
        new("--xargs puts all on one line", ["-k", "-j2", "--xargs", "echo", "pre{}post", ":::", "a", "b", "c", "d", "e"]),
        new("-X from stdin", ["-k", "-j2", "-X", "echo", "{#}", "<{}>"]) { Stdin = "1\n2\n3\n4\n5\n" },

        // Renamed replacement strings
        new("-I", ["-k", "-I", ",,", "echo", ",,", "{}", ":::", "a"]),
        new("--extensionreplace", ["-k", "--er", ",,", "echo", ",,", "{.}", ":::", "a.x"]),
        new("--bnr --dnr --bner --seqreplace --slotreplace", ["-k", "-j1", "--bnr", "XX", "--dnr", "YY", "--bner", "ZZ", "--seqreplace", "SS", "--slotreplace", "TT", "echo", "XX", "YY", "ZZ", "SS", "TT", ":::", "a/b.c"]),

        // Delimiters, headers, --env
        new("-d ,", ["-k", "-d", ",", "echo"]) { Stdin = "a,b,c" },
        new("-d with an escape keeps the newline", ["-k", "-d", "\\t", "echo"]) { Stdin = "a\tb\tc\n" },
        new("--delimiter of two characters", ["-k", "--delimiter", "::", "echo"]) { Stdin = "a::b c::d" },
        new("--header : with --colsep and {name}", ["-k", "--header", ":", "--colsep", ",", "echo", "{name}", "is", "{age}", "{1}"]) { Stdin = "name,age\nann,3\nbob,4\n" },
        new("--header : names ::: sources", ["-k", "--header", ":", "echo", "{f}-{g}", ":::", "f", "a", "b", ":::", "g", "1", "2"]),
        new("--header splits on tabs by default", ["-k", "--header", ":", "echo", "{a}"]) { Stdin = "a\tb\nc\td\n" },
        new("--env", ["-k", "--env", "GAMUT_X", "echo $GAMUT_X {}", ":::", "a"]) { Env = new Dictionary<string, string> { ["GAMUT_X"] = "x1" } },

        // --pipe
        new("--pipe --block cuts after whole lines", ["-k", "--pipe", "--block", "10", "echo \"[$(paste -sd,)]\""]) { Stdin = Lines(1, 20) },
        new("--pipe block smaller than a record", ["-k", "--pipe", "--block", "3", "echo \"[$(paste -sd,)]\""]) { Stdin = Lines(1, 12) },
        new("--pipe -N records per job", ["-k", "--pipe", "-N3", "echo \"[$(paste -sd,)]\""]) { Stdin = Lines(1, 10) },
        new("--pipe -L lines per record", ["-k", "--pipe", "-L2", "-N2", "echo \"[$(paste -sd,)]\""]) { Stdin = Lines(1, 10) },
        new("--pipe --recend", ["-k", "--pipe", "--recend", ";", "--block", "4", "echo \"[$(cat)]\""]) { Stdin = "a;b;c;d;e;" },
        new("--pipe --recstart", ["-k", "--pipe", "--recstart", ">", "-N1", "echo \"[$(cat | paste -sd,)]\""]) { Stdin = ">a\nx\n>b\ny\n>c\nz\n" },
        new("--pipe {#} and a last line without newline", ["-k", "--pipe", "--block", "4", "echo {#}: $(paste -sd,)"]) { Stdin = "1\n2\n3\n4\n5" },
        new("--pipe --block 100k is 100,000 bytes", ["-k", "--pipe", "--block", "100k", "wc", "-l"]) { Stdin = Lines(1, 100000) },
        new("--pipe --block 100K is 102,400 bytes", ["-k", "--pipe", "--block", "100K", "wc", "-l"]) { Stdin = Lines(1, 100000) },
        new("--pipe --header : repeats the first line", ["-k", "--pipe", "--header", ":", "-N2", "echo \"[$(paste -sd,)]\""]) { Stdin = "H1\nH2\na\nb\nc\nd\n" },
        new("--pipe --header REGEX of two lines", ["-k", "--pipe", "--header", ".*\\n.*\\n", "-N2", "echo \"[$(paste -sd,)]\""]) { Stdin = "H1\nH2\na\nb\nc\nd\n" },
        new("--pipe --header leaves --block for the records", ["-k", "--pipe", "--header", ":", "--block", "4", "echo \"[$(paste -sd,)]\""]) { Stdin = "H1\na\nb\nc\nd\n" },
        new("--pipe with empty input runs nothing", ["--pipe", "wc", "-l"]) { Stdin = "" },
        new("--pipe joblog Send", ["-k", "-j1", "--pipe", "--block", "6", "--joblog", "log", "wc", "-c"]) { Stdin = "ab\ncd\nef\n", CompareFile = "log" },

        // --results
        new("--results DIR", ["-k", "--results", "out", "echo {}; echo err {} >&2", ":::", "a", "b"]) { CompareTree = "out" },
        new("--results with two sources, / and empty values", ["-k", "--results", "out", "echo", ":::", "a/b", "", ":::", "x\\y"]) { CompareTree = "out" },
        new("--results with --header names", ["-k", "--header", ":", "--results", "out", "echo", "{n}", ":::", "n", "1", "2"]) { CompareTree = "out" },

        // --retry-failed, --termseq, --memfree, --load
        new("--retry-failed runs the logged failures again", ["-k", "--joblog", "log", "--retry-failed", "echo", "ignored"])
        {
            CompareFile = "log",
            Files = new Dictionary<string, string> { ["log"] = Log + "1\t:\t1.000\t     0.001\t0\t0\t0\t0\techo one\n2\t:\t1.000\t     0.001\t0\t0\t3\t0\techo two; exit 3\n3\t:\t1.000\t     0.001\t0\t0\t1\t0\techo three\n" },
        },
        new("--termseq decides how a timed-out job is stopped", ["--termseq", "INT,200,KILL,25", "--timeout", "1", "trap 'echo got INT; exit 3' INT; sleep 30 & wait; echo", ":::", "1"]),
        new("--memfree with memory to spare", ["-k", "--memfree", "1k", "echo", ":::", "a", "b"]),
        new("--load with room", ["-k", "--load", "1000", "echo", ":::", "a", "b"]),
    ];
}
