namespace Gamut.Cli.Tests;

/// <summary>Signals to gamut itself and a closed stdout: running jobs stop, nothing is left behind, the joblog is whole.</summary>
public sealed class StopTests
{
    [Fact]
    public void SIGTERM_mid_run_stops_the_jobs_leaves_no_orphan_and_keeps_the_joblog()
    {
        const string marker = "31.4151";
        var dir = Directory.CreateTempSubdirectory("gamut-stop-");
        try
        {
            using var gamut = new BackgroundGamut(["-j3", "--joblog", "log", "sleep", ":::", "0", marker, marker], dir.FullName);
            var log = Path.Combine(dir.FullName, "log");
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker(marker, gamut.Pid).Count == 2 && File.Exists(log) && File.ReadAllLines(log).Length == 2),
                "the two long jobs never started, or the quick one was never logged");

            gamut.Signal("TERM");
            var result = gamut.WaitForExit();

            Assert.Equal(143, result.ExitCode);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker(marker).Count == 0, 10), "a job outlived gamut");
            var lines = File.ReadAllLines(log);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("Seq\tHost\tStarttime", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("1\t:\t", lines[1], StringComparison.Ordinal);
            Assert.EndsWith("\t0\t0\tsleep 0", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            ProcessScan.KillAll(marker);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void SIGTERM_mid_run_stops_each_job_s_whole_process_group()
    {
        const string marker = "31.4154";
        var dir = Directory.CreateTempSubdirectory("gamut-stop-");
        try
        {
            // Each job's shell starts a grandchild and waits for it: stopping only the shell would orphan it.
            using var gamut = new BackgroundGamut(["-j2", ": {}; sleep " + marker + " & wait", ":::", "1", "2"], dir.FullName);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker("sleep " + marker, gamut.Pid).Count >= 2), "the jobs never started");

            gamut.Signal("TERM");
            var result = gamut.WaitForExit();

            Assert.Equal(143, result.ExitCode);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker(marker).Count == 0, 10), "a grandchild outlived gamut");
        }
        finally
        {
            ProcessScan.KillAll(marker);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_second_Ctrl_C_kills_jobs_that_ignore_SIGTERM()
    {
        const string marker = "31.4152";
        var dir = Directory.CreateTempSubdirectory("gamut-stop-");
        try
        {
            // The job ignores SIGTERM and the grace period is long: only the second Ctrl-C can end it soon. It says
            // when its trap is in place (the shell's command line shows the marker before the trap has run).
            var ready = Path.Combine(dir.FullName, "ready");
            using var gamut = new BackgroundGamut(["--grace", "600", $"trap '' TERM; touch '{ready}'; sleep {marker}", ":::", "1"], dir.FullName);
            Assert.True(ProcessScan.WaitUntil(() => File.Exists(ready) && ProcessScan.WithMarker("sleep " + marker, gamut.Pid).Count >= 1), "the job never started");

            gamut.Signal("INT");
            Thread.Sleep(300);
            Assert.NotEmpty(ProcessScan.WithMarker("sleep " + marker, gamut.Pid));
            gamut.Signal("INT");
            var result = gamut.WaitForExit();

            Assert.Equal(130, result.ExitCode);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker(marker).Count == 0, 10), "a job outlived gamut");
        }
        finally
        {
            ProcessScan.KillAll(marker);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Closing_stdout_early_ends_the_run_cleanly_with_SIGPIPE_status()
    {
        const string marker = "gamut-yes-31.4153";
        try
        {
            var script = $"set -o pipefail; '{ProgramRun.Gamut}' run --line-buffer yes ::: {marker} | head -1; echo \"status=${{PIPESTATUS[0]}}\"";
            var result = ProgramRun.Run("/bin/bash", ["-c", script]);

            Assert.Equal($"{marker}\nstatus=141\n", result.Stdout);
            Assert.DoesNotContain("Unhandled", result.Stderr, StringComparison.Ordinal);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker(marker).Count == 0, 10), "a job outlived gamut");
        }
        finally
        {
            ProcessScan.KillAll(marker);
        }
    }

    [Fact]
    public void Closing_stdout_early_with_grouped_output_ends_the_run()
    {
        var script = $"set -o pipefail; '{ProgramRun.Gamut}' run -k -j2 seq {{}} 100000 ::: 1 2 3 4 | head -1; echo \"status=${{PIPESTATUS[0]}}\"";
        var result = ProgramRun.Run("/bin/bash", ["-c", script]);

        Assert.Equal("1\nstatus=141\n", result.Stdout);
    }

    [Fact]
    public void A_timeout_sends_SIGTERM_first_so_the_job_can_clean_up()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-timeout-");
        try
        {
            var result = ProgramRun.RunGamut(["--joblog", "log", "--timeout", "1", ": {}; trap 'echo cleaned up; exit 7' TERM; sleep 31.4155 & wait", ":::", "1"], workingDirectory: dir.FullName);

            Assert.Equal(1, result.ExitCode);
            Assert.Equal("cleaned up\n", result.Stdout);
            Assert.Contains("timed out", result.Stderr, StringComparison.Ordinal);
            var entry = File.ReadAllLines(Path.Combine(dir.FullName, "log"))[1].Split('\t');
            Assert.Equal(["-1", "15"], entry[6..8]);
            Assert.True(ProcessScan.WaitUntil(() => ProcessScan.WithMarker("sleep 31.4155").Count == 0, 10), "the job's grandchild outlived the timeout");
        }
        finally
        {
            ProcessScan.KillAll("sleep 31.4155");
            dir.Delete(recursive: true);
        }
    }
}
