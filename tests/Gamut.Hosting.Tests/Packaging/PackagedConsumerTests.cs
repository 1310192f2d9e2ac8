using System.IO.Compression;
using Gamut.Hosting.Tests.Infrastructure;
using Gamut.Processes;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Hosting.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> of the repository into a temporary feed, a fresh app that
/// references them from that feed only (NuGet.org for third-party packages), and the <c>gamut</c> tool installed from it.
/// </summary>
/// <remarks>
/// The packages get a version of their own (0.1.0-pkgtest.…), so NuGet's global cache cannot hand back an older build;
/// those cache entries are removed at the end. Packing reuses the Release build ./test made (--no-build).
/// </remarks>
public sealed class PackagedConsumerTests
{
    private static readonly string[] Packages = ["Gamut", "Gamut.Redis", "Gamut.Extensions.Hosting", "Gamut.Cli"];

    [Fact]
    public async Task A_fresh_app_runs_a_command_threads_a_process_pool_and_Redis_from_the_packages_also_self_contained_and_the_tool_installs()
    {
        var version = $"0.1.0-pkgtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var work = Wait.TempDir("packaging");
        var feed = Path.Combine(work, "feed");
        var app = Path.Combine(work, "app");
        try
        {
            // dotnet pack at the root, as CI runs it (on the build ./test made).
            await Repo.DotnetAsync(Repo.Root, null, "pack", "Gamut.slnx", "-c", "Release", "--no-build", "-o", feed, $"-p:PackageVersion={version}", "-nologo", "-v", "quiet");
            foreach (var id in Packages)
            {
                var nupkg = Path.Combine(feed, $"{id}.{version}.nupkg");
                Assert.True(File.Exists(nupkg), $"{id} was not packed: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id} has no symbols package");
                using var zip = ZipFile.OpenRead(nupkg);
                var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("README.md", entries);
                var nuspec = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open()).ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
                Assert.DoesNotContain("example.invalid", nuspec, StringComparison.Ordinal);
                if (id != "Gamut.Cli")
                {
                    Assert.Contains($"lib/net10.0/{id}.xml", entries);
                }
            }

            using (var core = ZipFile.OpenRead(Path.Combine(feed, $"Gamut.{version}.nupkg")))
            {
                Assert.Contains(core.Entries, e => e.FullName == "lib/net10.0/Gamut.Worker.dll");
                // Compiled against: plain IL, not the ready-to-run image of lib/ (CS8012 in a RID-specific build).
                Assert.Contains(core.Entries, e => e.FullName == "ref/net10.0/Gamut.dll");
            }

            // A fresh app: package references only, from this feed only.
            Directory.CreateDirectory(app);
            foreach (var file in new[] { "Program.cs", "Consumer.csproj" })
            {
                File.Copy(Path.Combine(AppContext.BaseDirectory, "Consumer", file), Path.Combine(app, file));
            }

            File.WriteAllText(Path.Combine(app, "NuGet.config"), NuGetConfig(feed));
            File.WriteAllText(Path.Combine(app, "Directory.Build.props"), $"<Project><PropertyGroup><GamutVersion>{version}</GamutVersion></PropertyGroup></Project>");
            await Repo.DotnetAsync(app, null, "build", "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
            var assets = File.ReadAllText(Path.Combine(app, "obj", "project.assets.json"));
            Assert.Contains($"\"Gamut/{version}\"", assets, StringComparison.Ordinal);
            Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal);

            await using var redis = await RedisServer.StartAsync();
            var output = await Repo.DotnetAsync(app, null, Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"), redis.Url);
            Assert.Equal(
                ["command: from a package", "threads: 338350", "pool: 338350 in another process: True", "pool di: injected in another process: True", "redis: 144"],
                output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

            // The same app published self-contained: no dotnet host, so the pool's workers are the app's own
            // executable (Gamut.Worker.dll as a startup hook). No DOTNET_ROOT either, so nothing can find a host.
            var selfContained = Path.Combine(work, "self-contained");
            await Repo.DotnetAsync(app, null, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", selfContained, "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
            Assert.False(File.Exists(Path.Combine(selfContained, "dotnet")));
            var published = await Command.Create(Path.Combine(selfContained, "Consumer"), redis.Url)
                .WithoutEnvironmentVariable("DOTNET_ROOT")
                .WithThrowOnNonZeroExit(false)
                .WithTimeout(TimeSpan.FromMinutes(2))
                .RunAsync();
            Assert.True(published.ExitCode == 0, $"the self-contained app exited with {published.ExitCode}:\n{published.StandardOutput}\n{published.StandardError}");
            Assert.Equal(
                ["command: from a package", "threads: 338350", "pool: 338350 in another process: True", "pool di: injected in another process: True", "redis: 144"],
                published.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

            // Started as a worker whose hook did not run (the marker is set, no hook named), the app's own Main runs:
            // its pool must refuse to start workers rather than start the app again and again.
            var hookless = await Command.Create(Path.Combine(selfContained, "Consumer"), redis.Url)
                .WithoutEnvironmentVariable("DOTNET_ROOT")
                .WithEnvironment("GAMUT_WORKER_SELF_HOSTED", "1")
                .WithThrowOnNonZeroExit(false)
                .WithTimeout(TimeSpan.FromMinutes(2))
                .RunAsync();
            Assert.NotEqual(0, hookless.ExitCode);
            Assert.DoesNotContain("pool:", hookless.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("Gamut.Worker's startup hook did not run", hookless.StandardError, StringComparison.Ordinal);

            // The tool, as a user installs it.
            var tools = Path.Combine(work, "tools");
            await Repo.DotnetAsync(app, null, "tool", "install", "Gamut.Cli", "--version", version, "--tool-path", tools, "--configfile", Path.Combine(app, "NuGet.config"));
            var run = await Command.Create(Path.Combine(tools, "gamut"), "run", "-k", "echo", "{}-{#}", ":::", "a", "b", "c").RunAsync();
            Assert.Equal("a-1\nb-2\nc-3\n", run.StandardOutput);

            // The installed tool carries the dashboard (ASP.NET Core, in process): it answers for it.
            var dashboard = await Command.Create(Path.Combine(tools, "gamut"), "dashboard", "--help").RunAsync();
            Assert.Contains("Usage: gamut dashboard", dashboard.StandardOutput);
        }
        finally
        {
            ForgetCachedPackages(version);
        }
    }

    // Gamut's packages come from the temporary feed and nowhere else (package source mapping); the rest from NuGet.org.
    private static string NuGetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="gamut-test-feed" value="{feed}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="gamut-test-feed">
              <package pattern="Gamut" />
              <package pattern="Gamut.*" />
            </packageSource>
            <packageSource key="nuget.org">
              <package pattern="*" />
            </packageSource>
          </packageSourceMapping>
        </configuration>
        """;

    private static void ForgetCachedPackages(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Packages)
        {
            var dir = Path.Combine(cache, id.ToLowerInvariant(), version);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
