using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>
/// The System.Diagnostics.Process fallback (used off Linux, or with GAMUT_SPAWNER=process) keeps the API:
/// checked in a host process that is told to use it.
/// </summary>
public sealed class FallbackSpawnerTests
{
    [Fact]
    public async Task The_fallback_spawner_runs_commands_with_their_arguments_and_exit_codes()
    {
        var result = await Kit.Run("host-run", "/bin/sh", "-c", "printf '%s|' \"$@\"; exit 3", "sh", "a b", "", "$(id)")
            .WithEnvironment("GAMUT_SPAWNER", "process")
            .WithThrowOnNonZeroExit(false)
            .RunAsync()
            .WaitAsync(Kit.Ceiling);

        Assert.Equal("a b||$(id)|", result.StandardOutput);
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task Only_the_native_spawner_gives_each_child_a_process_group_of_its_own()
    {
        // Prints 1 when the child leads its own process group (field 5 of /proc/PID/stat is the group id).
        string[] leads = ["host-run", "/bin/sh", "-c", "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = \"$$\" ] && echo 1 || echo 0"];

        var native = await Kit.Run(leads).RunAsync().WaitAsync(Kit.Ceiling);
        var fallback = await Kit.Run(leads).WithEnvironment("GAMUT_SPAWNER", "process").RunAsync().WaitAsync(Kit.Ceiling);

        Assert.Equal("1\n", native.StandardOutput);
        Assert.Equal("0\n", fallback.StandardOutput);
    }

    [Fact]
    public async Task The_fallback_spawner_reports_a_missing_executable_with_the_same_typed_error()
    {
        var result = await Kit.Run("host-run", "gamut-no-such-program")
            .WithEnvironment("GAMUT_SPAWNER", "process")
            .WithThrowOnNonZeroExit(false)
            .RunAsync()
            .WaitAsync(Kit.Ceiling);

        Assert.Contains("CommandNotFoundException", result.StandardError);
    }
}
