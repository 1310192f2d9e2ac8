using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>RELIABILITY.md §5.1: bad input to the subprocess layer gets a clear, typed error, or a defined behaviour.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void An_empty_executable_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Command.Create(""));

        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_NUL_in_an_argument_is_refused_because_execve_cannot_carry_it()
    {
        var error = Assert.Throws<ArgumentException>(() => Command.Create("echo", "a", "b\0c"));

        Assert.Contains("Argument 1 contains a NUL", error.Message);
        Assert.Throws<ArgumentException>(() => Command.Create("echo\0"));
        Assert.Throws<ArgumentException>(() => Command.Create("echo").WithWorkingDirectory("/tmp\0x"));
        Assert.Throws<ArgumentException>(() => Command.Shell("echo \0"));
    }

    [Fact]
    public void An_unpaired_surrogate_in_an_argument_is_refused_rather_than_silently_replaced()
    {
        var error = Assert.Throws<ArgumentException>(() => Command.Create("echo", "bad \ud800 surrogate"));

        Assert.Contains("unpaired UTF-16 surrogate", error.Message);
    }

    [Fact]
    public async Task A_name_is_not_found_when_PATH_is_empty_and_the_error_says_so()
    {
        var error = await Assert.ThrowsAsync<CommandNotFoundException>(() => Command.Create("ls").WithEnvironment("PATH", "").RunAsync());

        Assert.Empty(error.SearchedDirectories);
        Assert.Contains("PATH is empty", error.Message);
    }

    [Fact]
    public async Task A_cleared_environment_without_PATH_still_finds_standard_programs()
    {
        var result = await Command.Create("echo", "found").WithClearedEnvironment().RunAsync();

        Assert.Equal("found\n", result.StandardOutput);
    }

    [StraceFact]
    public async Task Shell_syntax_and_globs_reach_the_program_literally_and_no_shell_is_executed()
    {
        // strace follows the host and everything it starts; the only execve of a program besides the host's
        // own must be /bin/echo, with the arguments unchanged.
        var trace = Path.GetTempFileName();
        try
        {
            string[] tricky = [";", "$(id)", "`id`", "*", "&&", "|", ">", "-n", ""];
            var result = await Command.Create("strace", ["-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", trace, Kit.Executable, "host-run", "/bin/echo", .. tricky])
                .RunAsync().WaitAsync(Kit.Ceiling);

            Assert.Equal(string.Join(' ', tricky[..7]) + " -n \n", result.StandardOutput);
            var execs = (await File.ReadAllLinesAsync(trace)).Where(l => l.Contains("execve(", StringComparison.Ordinal) && !l.Contains("ENOENT", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, execs.Count);
            Assert.Contains("execve(\"/bin/echo\", [\"/bin/echo\", \";\", \"$(id)\", \"`id`\", \"*\", \"&&\", \"|\", \">\", \"-n\", \"\"]", execs[1]);
            Assert.DoesNotContain(execs, l => l.Contains("/bin/sh", StringComparison.Ordinal) || l.Contains("bash", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Fact]
    public void Negative_timeouts_grace_periods_and_limits_are_refused()
    {
        var command = Command.Create("true");

        Assert.Throws<ArgumentOutOfRangeException>(() => command.WithTimeout(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => command.WithTimeout(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => command.WithGracePeriod(TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => command.WithOutputLimit(-1));
        Assert.Null(command.WithTimeout(Timeout.InfiniteTimeSpan).Timeout);
    }

    [Fact]
    public async Task A_timed_out_child_that_outlives_TERM_gets_TERM_at_the_timeout_and_KILL_a_grace_period_later()
    {
        var log = Path.GetTempFileName();
        try
        {
            // The timeout fires only after the child says its SIGTERM handler is in place: a timeout racing the
            // child's start would kill it with TERM before it could log or ignore anything.
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var command = Kit.Run("log-term", log, "ready", "sleep", "300")
                .WithStandardOutput(OutputTarget.ToLines(line =>
                {
                    if (line == "ready")
                    {
                        gate.TrySetResult();
                    }
                }))
                .WithGracePeriod(TimeSpan.FromSeconds(1.5));
            await using var child = command.Start();
            await gate.Task.WaitAsync(Kit.Ceiling);
            child.RequestStop(CommandStopReason.Timeout, null); // what the timeout's timer does when it fires

            var error = await Assert.ThrowsAsync<CommandTimeoutException>(() => child.WaitForExitAsync().WaitAsync(Kit.Ceiling));

            Assert.StartsWith("TERM ", await File.ReadAllTextAsync(log));
            Assert.Equal(Signals.Kill, error.Result.Signal);
            Assert.True(error.Result.Duration >= TimeSpan.FromSeconds(1.5)); // KILL never comes before the grace period
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task A_pipeline_stage_that_fails_to_start_stops_the_stages_already_running()
    {
        var marker = Kit.NewMarker();
        var pipeline = Command.Create("sleep", "300").Marked(marker) | Command.Create("sleep", "300").Marked(marker) | Command.Create("gamut-no-such-program");

        await Assert.ThrowsAsync<CommandNotFoundException>(() => pipeline.RunAsync());

        Assert.Empty(await Kit.SurvivorsAfterAsync(marker, Kit.Ceiling));
    }
}

/// <summary>A fact that needs strace; skipped, with the reason, where it is not installed.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        if (!path.Split(':').Any(dir => File.Exists(Path.Combine(dir, "strace"))))
        {
            Skip = "Needs strace (apt-get install strace) to show which programs were executed";
        }
    }
}
