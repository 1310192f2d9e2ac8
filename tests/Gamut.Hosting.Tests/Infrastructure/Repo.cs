using Gamut.Processes;

namespace Gamut.Hosting.Tests.Infrastructure;

/// <summary>The repository these tests were built from, and the dotnet commands they run against it.</summary>
public static class Repo
{
    /// <summary>The repository root (the folder with Gamut.slnx), found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The dotnet host the tests run under.</summary>
    public static string Dotnet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Runs dotnet with <paramref name="args"/> in <paramref name="directory"/>; fails the test with its output when it fails.</summary>
    public static async Task<string> DotnetAsync(string directory, IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        var command = Command.Create(Dotnet, args)
            .WithWorkingDirectory(directory)
            .WithThrowOnNonZeroExit(false)
            .WithEnvironment("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .WithEnvironment("DOTNET_NOLOGO", "1")
            .WithEnvironment("DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE", "1")
            .WithEnvironment("MSBUILDDISABLENODEREUSE", "1")
            .WithTimeout(TimeSpan.FromMinutes(8));
        if (env is not null)
        {
            command = command.WithEnvironment(env);
        }

        var result = await command.RunAsync();
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited with {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gamut.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Gamut.slnx above {AppContext.BaseDirectory}");
    }
}
