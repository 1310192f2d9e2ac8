using System.Text.Json;

namespace Gamut.Cli.Tests.Measure;

/// <summary>
/// <c>gamut measure</c> as a real process: the report's shape and the work each figure counted (never a time: the
/// figures depend on the machine and its load). One real --quick run; the others use the hidden --smoke budget.
/// </summary>
public sealed class MeasureTests
{
    private static readonly string[] Sections = ["start", "switch", "ipc", "executors", "breakeven"];

    private static ProgramResult Measure(params string[] args) =>
        ProgramRun.Run(ProgramRun.Gamut, ["measure", "--no-progress", .. args], hangGuardSeconds: 300);

    [Fact]
    public void A_quick_run_reports_every_section_with_the_work_each_figure_did()
    {
        var run = Measure("--quick", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal("quick", root.GetProperty("budget").GetString());
        Assert.Equal(Sections, root.GetProperty("sections").EnumerateArray().Select(s => s.GetString()));
        Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() >= 1);
        var figures = root.GetProperty("figures").EnumerateArray().ToList();
        foreach (var f in figures)
        {
            CheckFigure(f);
        }

        string[] names =
        [
            "thread: start + join", "process: posix_spawn", "process: System.Diagnostics.Process", "process: Gamut Command",
            "warm pool worker takes a job", "cold pool: create to first result",
            "thread ↔ thread: pipe", "thread ↔ thread: futex", "process ↔ process: pipe", "process ↔ process: futex",
            "Inline: one at a time", "Threads: one at a time", "Loop: one at a time", "Processes: one at a time",
        ];
        var present = figures.Select(f => f.GetProperty("name").GetString()).ToHashSet();
        Assert.All(names, n => Assert.Contains(n, present));

        // Every transport at every size of the quick budget, 64 B to 64 MiB, each with the bytes the peer confirmed.
        foreach (var transport in new[] { "pipe", "unix socket", "shared memory", "shared memory, in place", "tcp loopback" })
        {
            var sizes = figures.Where(f => f.GetProperty("group").GetString() == transport).Select(f => f.GetProperty("bytes").GetInt64()).ToList();
            Assert.Equal([64L, 64 * 1024, 1024 * 1024, 64 * 1024 * 1024], sizes);
        }

        // The break-even points: CPU-bound sizes on both executors, and the three numbers of concurrent waits.
        var cpu = figures.Where(f => f.GetProperty("name").GetString()!.StartsWith("CPU job", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, cpu.Count);
        var skipped = root.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("what").GetString()).ToList();
        foreach (var n in new[] { 10, 1000, 10_000 })
        {
            var waits = figures.Where(f => f.GetProperty("section").GetString() == "breakeven" && f.GetProperty("x").GetDouble() == n && f.GetProperty("name").GetString()!.Contains($" {n:N0} waits", StringComparison.Ordinal)).ToList();
            Assert.Contains(waits, f => f.GetProperty("group").GetString() == "Loop");
            Assert.Contains(waits, f => f.GetProperty("group").GetString() == "Threads");
            Assert.True(waits.Any(f => f.GetProperty("group").GetString() == "Threads, blocking") || skipped.Contains($"Threads, blocking, with {n:N0} waits"), $"{n} blocked threads: neither measured nor skipped");
        }

        // Without --redis the Redis figures are skipped with the reason, not silently absent.
        Assert.Contains("Redis round trip", skipped);
        Assert.Contains("Redis", skipped);

        // The outside tools: a figure each, or a reason they could not run here.
        foreach (var tool in new[] { "perf bench sched pipe", "C pipe ping-pong" })
        {
            Assert.True(figures.Any(f => f.TryGetProperty("tool", out _) && f.GetProperty("name").GetString()!.StartsWith(tool.Split(' ')[0] == "C" ? "C program" : "perf", StringComparison.Ordinal))
                || skipped.Contains(tool), $"{tool}: neither a figure nor a reason");
        }

        var findings = root.GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("kind").GetString() == "recommendation");
        Assert.Contains(findings, f => f.GetProperty("title").GetString() == "Threads start faster than processes");
        Assert.Contains(findings, f => f.GetProperty("title").GetString() == "Sharing memory beats arm's-length IPC for large data");
    }

    [Fact]
    public void Only_picks_sections_and_html_writes_a_self_contained_page()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-measure-test-");
        try
        {
            var html = Path.Combine(dir.FullName, "report.html");
            var run = Measure("--smoke", "--only", "switch,start", "--html", html);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Starting work", run.Stdout);
            Assert.Contains("Switching", run.Stdout);
            Assert.DoesNotContain("Moving data", run.Stdout);
            Assert.Contains($"written: {html}", run.Stdout);
            Assert.True(run.Stdout.IndexOf("Starting work", StringComparison.Ordinal) < run.Stdout.IndexOf("Switching", StringComparison.Ordinal), "sections run in their own order");

            var page = File.ReadAllText(html);
            Assert.StartsWith("<!DOCTYPE html>", page);
            Assert.Contains("<svg", page);
            Assert.Contains("The essay's claims", page);
            Assert.Contains("Threads start faster than processes", page);
            Assert.Contains("thread ↔ thread: pipe", page);
            // Nothing from the network: no scripts, stylesheets or images fetched from anywhere.
            Assert.DoesNotContain("<script", page);
            Assert.DoesNotContain("<link", page);
            Assert.DoesNotContain("src=", page);
            Assert.DoesNotContain("https://", page);
            Assert.Equal(page.Split("<svg").Length - 1, page.Split("xmlns=\"http://www.w3.org/2000/svg\"").Length - 1);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_json_of_a_smoke_run_of_the_data_section_counts_the_bytes_the_peer_took()
    {
        var run = Measure("--smoke", "--only", "ipc", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.Stdout);
        var figures = doc.RootElement.GetProperty("figures").EnumerateArray().ToList();
        Assert.Equal(10, figures.Count); // five transports, two sizes
        foreach (var f in figures)
        {
            CheckFigure(f);
            Assert.Equal(f.GetProperty("samples").GetInt64() * f.GetProperty("bytes").GetInt64(), f.GetProperty("work").GetInt64());
        }
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--only", "nope")]
    [InlineData("--only", "")]
    [InlineData("--html")]
    [InlineData("--html", "/nonexistent-dir-of-gamut/report.html")]
    [InlineData("--redis", "http://example")]
    [InlineData("start")]
    public void A_bad_command_line_is_one_line_and_exit_255(params string[] args)
    {
        var run = Measure(args);
        Assert.Equal(255, run.ExitCode);
        Assert.Equal("", run.Stdout);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("gamut measure: ", lines[0]);
        Assert.Equal("Try 'gamut measure --help'.", lines[1]);
    }

    [Fact]
    public void A_redis_that_does_not_answer_fails_at_once_with_one_line()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var run = Measure("--smoke", "--only", "executors", "--redis", $"redis://127.0.0.1:{port}?timeout=500");
        Assert.Equal(254, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("gamut measure: ", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
    }

    [Fact]
    public void Help_names_every_option()
    {
        var run = Measure("--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var option in new[] { "--quick", "--only", "--json", "--html", "--redis" })
        {
            Assert.Contains(option, run.Stdout);
        }
    }

    private static void CheckFigure(JsonElement f)
    {
        var name = f.GetProperty("name").GetString();
        var min = f.GetProperty("minNs").GetDouble();
        var median = f.GetProperty("medianNs").GetDouble();
        var p99 = f.GetProperty("p99Ns").GetDouble();
        var samples = f.GetProperty("samples").GetInt64();
        var work = f.GetProperty("work").GetInt64();
        Assert.True(min >= 0 && min <= median && median <= p99, $"{name}: min {min}, median {median}, p99 {p99}");

        // Every figure measured something, except a wait's lateness: a timer may fire within its own resolution of
        // the wait (even a little early by the stopwatch), and the lateness is then 0 — which is what it measured.
        if (name?.Contains("beyond the wait", StringComparison.Ordinal) != true)
        {
            Assert.True(min > 0, $"{name}: min {min}, median {median}, p99 {p99}");
        }
        Assert.True(samples >= 1, $"{name}: {samples} samples");
        Assert.True(work >= samples, $"{name}: {work} {f.GetProperty("workUnit").GetString()} for {samples} samples");
        Assert.False(string.IsNullOrWhiteSpace(f.GetProperty("method").GetString()), $"{name}: no method");
    }
}
