using System.Globalization;
using System.Runtime.InteropServices;
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
/// <remarks>
/// Found once per process, cheaply: the generated runtimeconfig is named by a hash of what it is made from (the
/// application's own runtimeconfig and its frameworks), so when it exists (every pool after the first run of a build)
/// no JSON is read or written.
/// </remarks>
internal static class WorkerCommand
{
    /// <summary>Changes when the generated runtimeconfig's content changes for the same inputs.</summary>
    private const string Format = "worker-runtimeconfig-2";

    private static readonly object Gate = new();
    private static WorkerEnvironment? s_environment;

    private static WorkerEnvironment Environment
    {
        get
        {
            lock (Gate)
            {
                return s_environment ??= Discover();
            }
        }
    }

    public static string HostPath => Environment.Host;

    /// <summary>
    /// True in a self-contained application: workers are the application's own executable, with Gamut.Worker.dll as
    /// a startup hook that runs the worker before the application's Main (see src/Gamut.Worker/StartupHook.cs).
    /// </summary>
    public static bool SelfHosted => Environment.SelfHosted;

    /// <summary>The environment a self-hosted worker needs on top of the pool's (nothing for <c>dotnet exec</c>).</summary>
    public static void AddEnvironment(string workerAssembly, Dictionary<string, string?> env)
    {
        if (!Environment.SelfHosted)
        {
            return;
        }

        var hooks = System.Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS");
        env["DOTNET_STARTUP_HOOKS"] = string.IsNullOrEmpty(hooks) ? workerAssembly : workerAssembly + Path.PathSeparator + hooks;
        env["GAMUT_WORKER_SELF_HOSTED"] = "1";

        // What the generated runtimeconfig does for a dotnet exec worker: a small, quiet GC and no PGO.
        env["DOTNET_gcServer"] = "0";
        env["DOTNET_gcConcurrent"] = "0";
        env["DOTNET_TieredPGO"] = "0";
    }

    /// <summary>The command line that starts one worker.</summary>
    public static IReadOnlyList<string> Arguments(string workerAssembly, IReadOnlyList<string> workerArgs)
    {
        var env = Environment;
        if (env.SelfHosted)
        {
            return workerArgs;
        }

        var args = new List<string>(8 + (2 * env.Probing.Length) + workerArgs.Count) { "exec", "--runtimeconfig", env.RuntimeConfig, "--depsfile", env.DepsFile };
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

    private static WorkerEnvironment Discover()
    {
        var depsFiles = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        string? appDeps = null;
        var frameworks = new List<KeyValuePair<string, string>>();
        foreach (var file in depsFiles)
        {
            if (IsFrameworkDeps(file))
            {
                // .../shared/<name>/<version>/<name>.deps.json
                var versionDir = Path.GetDirectoryName(file)!;
                frameworks.Add(new(Path.GetFileName(Path.GetDirectoryName(versionDir)!), Path.GetFileName(versionDir)));
            }
            else
            {
                appDeps ??= file;
            }
        }

        if (appDeps is null)
        {
            throw new InvalidOperationException("The application has no deps.json (APP_CONTEXT_DEPS_FILES is empty), so workers cannot load its assemblies; the process pool needs a framework-dependent application");
        }

        if (frameworks.Count == 0 && IsSelfContained())
        {
            return SelfHostedEnvironment(appDeps);
        }

        if (frameworks.Count == 0)
        {
            frameworks.Add(new("Microsoft.NETCore.App", System.Environment.Version.ToString(3)));
        }

        var runtimeConfig = WorkerRuntimeConfig(appDeps, frameworks);
        var probing = (AppContext.GetData("PROBING_DIRECTORIES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        return new WorkerEnvironment(FindHost(), runtimeConfig, appDeps, probing, SelfHosted: false);
    }

    // Self-contained: the runtime (System.Private.CoreLib) sits in the application's own folder, and the process is
    // the application's executable, not a dotnet host.
    private static bool IsSelfContained()
    {
        var self = System.Environment.ProcessPath;
        if (self is null || Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return false;
        }

        var runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var appDir = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        return string.Equals(Path.GetFullPath(runtimeDir), Path.GetFullPath(appDir), StringComparison.Ordinal);
    }

    private static WorkerEnvironment SelfHostedEnvironment(string appDeps)
    {
        // A trimmed application may have startup hooks compiled out; its own Main would then run as the "worker".
        if (AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out var hooks) && !hooks)
        {
            throw new PlatformNotSupportedException(
                "This self-contained application was published without startup hook support (StartupHookSupport=false, the default when trimming), " +
                "so it cannot start process-pool workers; publish it with <StartupHookSupport>true</StartupHookSupport>, untrimmed, or framework-dependent");
        }

        // The worker's hook removes this marker before anything else runs; still set, it means this process was
        // started as a worker and the hook did not run, so the application's Main runs instead. Starting workers
        // from here would start the application again and again.
        if (System.Environment.GetEnvironmentVariable("GAMUT_WORKER_SELF_HOSTED") == "1")
        {
            throw new InvalidOperationException(
                "This process was started as a process-pool worker (GAMUT_WORKER_SELF_HOSTED=1) but Gamut.Worker's startup hook did not run, " +
                "so it refuses to start workers of its own; check that DOTNET_STARTUP_HOOKS is allowed for this application");
        }

        return new WorkerEnvironment(System.Environment.ProcessPath!, "", appDeps, [], SelfHosted: true);
    }

    private static bool IsFrameworkDeps(string path) =>
        path.Replace('\\', '/').Contains("/shared/", StringComparison.Ordinal) &&
        Path.GetFileName(path).StartsWith("Microsoft.", StringComparison.Ordinal);

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

    /// <summary>The worker's runtimeconfig: made once per distinct input, then found by name.</summary>
    private static string WorkerRuntimeConfig(string appDeps, List<KeyValuePair<string, string>> frameworks)
    {
        var appConfig = appDeps[..^".deps.json".Length] + ".runtimeconfig.json";
        byte[] appConfigBytes;
        try
        {
            appConfigBytes = File.Exists(appConfig) ? File.ReadAllBytes(appConfig) : [];
        }
        catch (IOException)
        {
            appConfigBytes = [];
        }

        var key = new StringBuilder(Format);
        foreach (var (name, version) in frameworks)
        {
            key.Append('|').Append(name).Append('/').Append(version);
        }

        key.Append('|').Append(System.Environment.Version.Major).Append('.').Append(System.Environment.Version.Minor);
        var hash = Fnv1a(Encoding.UTF8.GetBytes(key.ToString()), Fnv1a(appConfigBytes, 14695981039346656037UL));
        var dir = PrivateTempDirectory();
        var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"worker-{hash:x16}.runtimeconfig.json"));
        if (File.Exists(path))
        {
            return path;
        }

        var text = RuntimeConfigText(appConfigBytes, frameworks);
        var temp = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $".{hash:x16}.{System.Environment.ProcessId}.tmp"));
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static string RuntimeConfigText(byte[] appConfig, List<KeyValuePair<string, string>> frameworks)
    {
        var properties = new JsonObject();
        if (appConfig.Length > 0)
        {
            try
            {
                if (JsonNode.Parse(appConfig)?["runtimeOptions"]?["configProperties"] is JsonObject own)
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
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    // FNV-1a, 64 bits: a name for a cache file, not a security measure (the directory is the user's own).
    private static ulong Fnv1a(ReadOnlySpan<byte> data, ulong hash)
    {
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
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

/// <summary>
/// How workers are started in this process: the host, the generated runtimeconfig, the app's deps.json, probing paths;
/// or, <paramref name="SelfHosted"/>, the self-contained application's own executable (no runtimeconfig, no probing).
/// </summary>
internal sealed record WorkerEnvironment(string Host, string RuntimeConfig, string DepsFile, string[] Probing, bool SelfHosted);
