namespace Gamut.Cli.Tests;

/// <summary>
/// The differential suite: each invocation runs through GNU parallel (the installed one) and through the built
/// gamut, in fresh directories with the same files; stdout and exit status must be the same (stdout sorted where
/// parallel's order is not deterministic), and so must a joblog both write, less its timing columns.
/// </summary>
public sealed class DifferentialTests
{
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in DifferentialCases.All)
            {
                data.Add(c.Name);
            }

            return data;
        }
    }

    [Fact]
    public void The_suite_has_at_least_forty_invocations() => Assert.True(DifferentialCases.All.Count >= 40);

    [Theory]
    [MemberData(nameof(Names))]
    public void Gamut_run_matches_GNU_parallel(string name)
    {
        var c = DifferentialCases.All.Single(x => x.Name == name);
        var (parallel, parallelFile) = RunIn(c, ProgramRun.RunParallel);
        var (gamut, gamutFile) = RunIn(c, ProgramRun.RunGamut);

        var context = $"case '{name}'\nparallel: {parallel}\ngamut: {gamut}";
        Assert.True(parallel.ExitCode == gamut.ExitCode, $"exit status differs: parallel {parallel.ExitCode}, gamut {gamut.ExitCode}\n{context}");
        if (c.CompareStdout)
        {
            Assert.True(Normalize(parallel.Stdout, c.Sorted) == Normalize(gamut.Stdout, c.Sorted), $"stdout differs\n{context}");
        }
        else
        {
            Assert.Equal("", gamut.Stdout);
            Assert.StartsWith("gamut run: ", gamut.Stderr, StringComparison.Ordinal);
        }
        if (c.CompareFile is not null || c.CompareTree is not null)
        {
            Assert.Equal(WithoutTimes(parallelFile!), WithoutTimes(gamutFile!));
        }
    }

    [Theory]
    [InlineData("two groups combine, last fastest")]
    [InlineData("inputs stay literal")]
    [InlineData("halt now fail=1 gives the job's status")]
    [InlineData("--joblog")]
    [InlineData("--tag on partial lines and stderr")]
    [InlineData("--timeout stops slow jobs")]
    public void The_same_front_end_on_the_Threads_executor_matches_GNU_parallel(string name)
    {
        // Jobs go to the gamut.command job on an IExecutor instead of straight to the subprocess layer: the seam
        // a Redis backend plugs into.
        var c = DifferentialCases.All.Single(x => x.Name == name);
        var env = new Dictionary<string, string> { ["GAMUT_RUN_EXECUTOR"] = "threads" };
        var (parallel, parallelFile) = RunIn(c, ProgramRun.RunParallel);
        var (gamut, gamutFile) = RunIn(c, (args, stdin, caseEnv, dir) => ProgramRun.RunGamut(args, stdin, new Dictionary<string, string>([.. caseEnv ?? new Dictionary<string, string>(), .. env]), dir));

        Assert.Equal(parallel.ExitCode, gamut.ExitCode);
        Assert.Equal(Normalize(parallel.Stdout, c.Sorted), Normalize(gamut.Stdout, c.Sorted));
        if (c.CompareFile is not null)
        {
            Assert.Equal(WithoutTimes(parallelFile!), WithoutTimes(gamutFile!));
        }
    }

    private static (ProgramResult Result, string? File) RunIn(DifferentialCase c, Func<IEnumerable<string>, string?, IReadOnlyDictionary<string, string>?, string?, ProgramResult> run)
    {
        var dir = Directory.CreateTempSubdirectory("gamut-diff-");
        try
        {
            foreach (var (file, content) in c.Files)
            {
                var path = Path.Combine(dir.FullName, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
            }

            var env = c.Env.ToDictionary(e => e.Key, e => e.Value.Replace("{dir}", dir.FullName, StringComparison.Ordinal));
            var result = run(c.Args, c.Stdin ?? "", env, dir.FullName);
            var compared = c.CompareFile is not null ? File.ReadAllText(Path.Combine(dir.FullName, c.CompareFile))
                : c.CompareTree is not null ? Tree(Path.Combine(dir.FullName, c.CompareTree))
                : null;
            return (result, compared);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // Every file under root: its path, then its content, one file per line (tabs keep WithoutTimes away from them).
    private static string Tree(string root)
    {
        if (!Directory.Exists(root))
        {
            return "(no directory)";
        }

        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f) + " = " + File.ReadAllText(f).Replace("\n", "\\n", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return string.Join('\n', files);
    }

    private static string Normalize(string stdout, bool sorted)
    {
        if (!sorted)
        {
            return stdout;
        }

        var lines = stdout.Split('\n').ToList();
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    // Seq Host [Starttime JobRuntime] Send Receive Exitval Signal Command
    private static string[] WithoutTimes(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(cols => string.Join('\t', cols.Where((_, i) => i is not (2 or 3))))
            .ToArray();
}
