using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gamut.Pool.Launch;

/// <summary>
/// How a worker is started so that it sees exactly the application's assemblies without a program of the user's:
/// <c>dotnet exec --runtimeconfig &lt;generated&gt; --depsfile &lt;the application's deps.json&gt; Gamut.Worker.dll …</c>.
/// The runtimeconfig names the frameworks the application runs on, keeps its settings, and tunes the worker for a
/// fast start (workstation non-concurrent GC, no tiered PGO).
/// </summary>
internal static class WorkerCommand
{
    private static readonly Lazy<(string Host, string RuntimeConfig, string DepsFile, string[] Probing)> Environment = new(Discover);

    public static string HostPath => Environment.Value.Host;

    /// <summary>The command line that starts one worker.</summary>
    public static IReadOnlyList<string> Arguments(string workerAssembly, IReadOnlyList<string> workerArgs)
    {
        var env = Environment.Value;
        var args = new List<string> { "exec", "--runtimeconfig", env.RuntimeConfig, "--depsfile", env.DepsFile };
        foreach (var p in env.Probing)
        {
            args.Add("--additionalprobingpath");
            args.Add(p);
        }

        args.Add(workerAssembly);
        args.AddRange(workerArgs);
        return args;
    }

    /// <summary>Finds Gamut.Worker.dll: where the options say, next to the application, or next to Gamut.dll.</summary>
    public static string FindWorkerAssembly(string? configured)
    {
        if (configured is not null)
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"The worker assembly {configured} does not exist", configured);
        }

        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Gamut.Worker.dll"),
            Path.Combine(Path.GetDirectoryName(typeof(WorkerCommand).Assembly.Location) ?? ".", "Gamut.Worker.dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"Gamut.Worker.dll was not found ({string.Join(", ", candidates)}). It comes with the Gamut package into the application's output; " +
                "set ProcessPoolOptions.WorkerAssemblyPath if it lives elsewhere", "Gamut.Worker.dll");
    }

    private static (string, string, string, string[]) Discover()
    {
        var depsFiles = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var appDeps = depsFiles.FirstOrDefault(f => !IsFrameworkDeps(f))
            ?? throw new InvalidOperationException("The application has no deps.json (APP_CONTEXT_DEPS_FILES is empty), so workers cannot load its assemblies; the process pool needs a framework-dependent application");
        var frameworks = depsFiles.Where(IsFrameworkDeps).Select(FrameworkOf).ToList();
        if (frameworks.Count == 0)
        {
            frameworks.Add(("Microsoft.NETCore.App", System.Environment.Version.ToString(3)));
        }

        var runtimeConfig = WriteRuntimeConfig(appDeps, frameworks);
        var probing = (AppContext.GetData("PROBING_DIRECTORIES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        return (FindHost(), runtimeConfig, appDeps, probing);
    }

    private static bool IsFrameworkDeps(string path) =>
        path.Replace('\\', '/').Contains("/shared/", StringComparison.Ordinal) &&
        Path.GetFileName(path).StartsWith("Microsoft.", StringComparison.Ordinal);

    private static (string Name, string Version) FrameworkOf(string depsPath)
    {
        // .../shared/<name>/<version>/<name>.deps.json
        var versionDir = Path.GetDirectoryName(depsPath)!;
        return (Path.GetFileName(Path.GetDirectoryName(versionDir)!), Path.GetFileName(versionDir));
    }

    private static string FindHost()
    {
        var self = System.Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var root = System.Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, exe)))
        {
            return Path.Combine(root, exe);
        }

        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/', '\\');
        var candidate = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDir)!)!)!, exe);
        return File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"The dotnet host was not found (looked at {candidate} and DOTNET_ROOT); workers are started with 'dotnet exec'", candidate);
    }

    private static string WriteRuntimeConfig(string appDeps, List<(string Name, string Version)> frameworks)
    {
        var properties = new JsonObject();
        var appConfig = appDeps[..^".deps.json".Length] + ".runtimeconfig.json";
        if (File.Exists(appConfig))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(appConfig))?["runtimeOptions"]?["configProperties"] is JsonObject own)
                {
                    foreach (var (k, v) in own)
                    {
                        properties[k] = v?.DeepClone();
                    }
                }
            }
            catch (JsonException)
            {
                // An unreadable runtimeconfig: the worker runs with the defaults.
            }
        }

        // A worker starts often and lives on one core's worth of work: a small, quiet GC and no PGO instrumentation.
        properties["System.GC.Server"] = false;
        properties["System.GC.Concurrent"] = false;
        properties["System.Runtime.TieredPGO"] = false;
        var fx = new JsonArray();
        foreach (var (name, version) in frameworks)
        {
            fx.Add(new JsonObject { ["name"] = name, ["version"] = version });
        }

        var root = new JsonObject
        {
            ["runtimeOptions"] = new JsonObject
            {
                ["tfm"] = $"net{System.Environment.Version.Major}.{System.Environment.Version.Minor}",
                ["frameworks"] = fx,
                ["configProperties"] = properties,
            },
        };
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
        var dir = PrivateTempDirectory();
        var path = Path.Combine(dir, $"worker-{hash}.runtimeconfig.json");
        if (!File.Exists(path))
        {
            var temp = Path.Combine(dir, $".{hash}.{System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }

        return path;
    }

    /// <summary>A directory only this user can read: $TMPDIR/gamut-&lt;uid&gt;.</summary>
    public static string PrivateTempDirectory()
    {
        var uid = OperatingSystem.IsWindows() ? System.Environment.UserName : Ipc.Native.LinuxNative.GetEffectiveUserId().ToString(CultureInfo.InvariantCulture);
        var dir = Path.Combine(Path.GetTempPath(), $"gamut-{uid}");
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            Directory.CreateDirectory(dir);
        }

        return dir;
    }
}
