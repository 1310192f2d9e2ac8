using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>SP-4: each way a start can fail has its own typed error naming the cause, leaks nothing, and the next command runs.</summary>
[Collection(ProcessHygieneCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SpawnFailureTests
{
    [Fact]
    public async Task A_missing_executable_names_itself_and_every_PATH_directory_searched()
    {
        var error = await AssertCleanFailure<CommandNotFoundException>(
            Command.Create("gamut-no-such-program").WithEnvironment("PATH", "/gamut/a:/usr/bin:relative"));

        Assert.Equal("gamut-no-such-program", error.Executable);
        Assert.Equal(["/gamut/a", "/usr/bin", Path.Combine(Environment.CurrentDirectory, "relative")], error.SearchedDirectories);
        Assert.Contains("/gamut/a, /usr/bin", error.Message);
        Assert.Equal(2, error.ErrorNumber);
    }

    [Fact]
    public async Task A_missing_path_is_ENOENT_without_a_PATH_search()
    {
        var error = await AssertCleanFailure<CommandNotFoundException>(Command.Create("/gamut/no/such/program"));

        Assert.Empty(error.SearchedDirectories);
        Assert.Contains("'/gamut/no/such/program' was not found", error.Message);
    }

    [Fact]
    public async Task A_file_without_execute_permission_is_a_permission_error()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-eacces-").FullName;
        try
        {
            var file = Path.Combine(dir, "script");
            await File.WriteAllTextAsync(file, "#!/bin/sh\necho hi\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var direct = await AssertCleanFailure<CommandPermissionException>(Command.Create(file));
            var viaPath = await AssertCleanFailure<CommandPermissionException>(Command.Create("script").WithEnvironment("PATH", dir));

            Assert.Equal(file, direct.Path);
            Assert.Contains("EACCES", direct.Message);
            Assert.Contains("not executable", viaPath.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_directory_given_as_the_executable_is_refused_as_such()
    {
        var error = await AssertCleanFailure<CommandPermissionException>(Command.Create("/tmp"));

        Assert.Contains("is a directory", error.Message);
    }

    [Fact]
    public async Task A_script_whose_interpreter_is_missing_names_the_interpreter()
    {
        var dir = Directory.CreateTempSubdirectory("gamut-shebang-").FullName;
        try
        {
            var file = Path.Combine(dir, "script");
            await File.WriteAllTextAsync(file, "#!/gamut/no/such/interpreter -x\necho hi\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);

            var error = await AssertCleanFailure<CommandNotFoundException>(Command.Create(file));

            Assert.Equal("/gamut/no/such/interpreter", error.MissingInterpreter);
            Assert.Contains("interpreter", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_working_directory_or_a_file_given_as_one_is_its_own_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            var missing = await AssertCleanFailure<WorkingDirectoryException>(Command.Create("true").WithWorkingDirectory("/gamut/no/such/dir"));
            var notADirectory = await AssertCleanFailure<WorkingDirectoryException>(Command.Create("true").WithWorkingDirectory(file));

            Assert.Equal("/gamut/no/such/dir", missing.Path);
            Assert.Contains("does not exist", missing.Message);
            Assert.Contains("not a directory", notADirectory.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_argument_list_over_the_system_limit_is_E2BIG_typed()
    {
        var many = Enumerable.Repeat(new string('x', 100), 100_000);
        var oneHuge = new string('y', 200_000); // over MAX_ARG_STRLEN (128 KiB) for a single string

        var error = await AssertCleanFailure<ArgumentListTooLongException>(Command.Create("true", many));
        await AssertCleanFailure<ArgumentListTooLongException>(Command.Create("true", oneHuge));
        await AssertCleanFailure<ArgumentListTooLongException>(Command.Create("true").WithEnvironment("HUGE", oneHuge));

        Assert.Equal(100_000, error.ArgumentCount);
        Assert.True(error.TotalBytes > 10_000_000);
    }

    [Theory]
    [InlineData("A=B", "contains '='")]
    [InlineData("", "cannot be empty")]
    [InlineData("A\0B", "NUL")]
    public void An_invalid_environment_name_is_refused_when_the_command_is_built(string name, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => Command.Create("true").WithEnvironment(name, "x"));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_NUL_in_an_environment_value_is_refused_when_the_command_is_built()
    {
        Assert.Throws<ArgumentException>(() => Command.Create("true").WithEnvironment("A", "x\0y"));
    }

    [Fact]
    public async Task Running_out_of_descriptors_is_a_typed_error_and_the_next_command_runs()
    {
        var result = await Command.Create("prlimit", "--nofile=64", Kit.Executable, "host-fd-exhaustion").RunAsync().WaitAsync(Kit.Ceiling);

        var lines = result.StandardOutput.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("spawn: CommandResourceLimitException 24 ", StringComparison.Ordinal) && l.Contains("too many open files"));
        Assert.Contains("after: after", lines);
    }

    [PidsCgroupFact]
    public async Task Hitting_a_cgroup_process_limit_is_a_typed_error_and_the_next_command_runs()
    {
        const string pids = PidsCgroupFactAttribute.Hierarchy;
        var marker = Kit.NewMarker();
        var group = Path.Combine(pids, "gamut-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(group);
        try
        {
            await using var host = Kit.Run("host-pids-limit", marker).WithStandardInput(InputSource.Pipe).WithThrowOnNonZeroExit(false).Start();
            await using var lines = host.ReadOutputLinesAsync().GetAsyncEnumerator();
            Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(Kit.Ceiling));
            Assert.StartsWith("waiting: ", lines.Current);

            // Room for the host's own threads to come and go, and for a few children.
            await File.WriteAllTextAsync(Path.Combine(group, "cgroup.procs"), host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var current = int.Parse(await File.ReadAllTextAsync(Path.Combine(group, "pids.current")), System.Globalization.CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(group, "pids.max"), (current + 8).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await host.StandardInput.WriteAsync("go\n"u8.ToArray());
            await host.StandardInput.FlushAsync();

            var report = new List<string>();
            while (await lines.MoveNextAsync().AsTask().WaitAsync(Kit.Ceiling))
            {
                report.Add(lines.Current);
            }

            var end = await host.WaitForExitAsync().WaitAsync(Kit.Ceiling);
            var all = string.Join("\n", report) + "\n" + end.StandardError;
            Assert.Contains(report, l => l.StartsWith("spawn: CommandResourceLimitException 11 ", StringComparison.Ordinal) && l.Contains("process limit"));
            Assert.True(report.Contains("after: after"), all);
            Assert.Empty(Kit.ProcessesWithMarker(marker));
        }
        finally
        {
            for (var attempt = 0; attempt < 100 && Directory.Exists(group); attempt++)
            {
                try
                {
                    Directory.Delete(group);
                }
                catch (IOException)
                {
                    await Task.Delay(50); // the host is still leaving the group
                }
            }
        }
    }

    private static async Task<TError> AssertCleanFailure<TError>(Command command)
        where TError : CommandStartException
    {
        await Command.Create("true").RunAsync(); // lazily created descriptors (reactor, /dev/null, watchdog) exist
        var before = Kit.OpenDescriptorCount();

        var error = await Assert.ThrowsAsync<TError>(() => command.RunAsync());

        Assert.Equal(before, Kit.OpenDescriptorCount());
        Assert.Empty(Kit.ZombieChildren());
        Assert.Equal("ok\n", (await Command.Create("echo", "ok").RunAsync()).StandardOutput);
        return error;
    }
}

/// <summary>A fact that needs root and a writable cgroup v1 pids hierarchy; skipped, with the reason, elsewhere.</summary>
public sealed class PidsCgroupFactAttribute : FactAttribute
{
    public const string Hierarchy = "/sys/fs/cgroup/pids";

    public PidsCgroupFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "Needs root to create a cgroup (this run is not root)";
        }
        else if (!File.Exists(Path.Combine(Hierarchy, "cgroup.procs")))
        {
            Skip = $"Needs a cgroup v1 pids hierarchy at {Hierarchy} (not mounted here)";
        }
    }
}
