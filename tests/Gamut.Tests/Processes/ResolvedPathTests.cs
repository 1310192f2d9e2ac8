using System.Text;
using Gamut.Processes;

namespace Gamut.Tests.Processes;

/// <summary>A command whose program a caller already found (gamut run finds each program once per run).</summary>
public sealed class ResolvedPathTests
{
    [Fact]
    public async Task A_resolved_path_is_run_without_searching_PATH_and_argv0_stays_the_name()
    {
        var head = File.Exists("/usr/bin/head") ? "/usr/bin/head" : "/bin/head";

        // PATH is empty: only the resolved path can start it; argv[0] as the child sees it is still "head".
        var result = await Command.Create("head", "-c", "64", "/proc/self/cmdline")
            .WithEnvironment("PATH", "")
            .WithResolvedPath(head)
            .RunAsync();

        var argv = Encoding.UTF8.GetString(result.StandardOutputBytes.Span).Split('\0');
        Assert.Equal("head", argv[0]);
        Assert.Equal("-c", argv[1]);
    }

    [Fact]
    public async Task Without_a_resolved_path_the_same_command_is_not_found()
    {
        await Assert.ThrowsAsync<CommandNotFoundException>(() =>
            Command.Create("head", "-c", "64", "/proc/self/cmdline").WithEnvironment("PATH", "").RunAsync());
    }
}
