using System.Diagnostics.CodeAnalysis;

/// <summary>
/// The worker's entry in a self-contained application, which has no <c>dotnet</c> host to run Gamut.Worker.dll with:
/// the pool starts the application's own executable with <c>DOTNET_STARTUP_HOOKS</c> naming this assembly, and the
/// runtime calls <see cref="Initialize"/> before the application's <c>Main</c>. The worker runs here, on the
/// application's own runtime and deps.json, and the process exits when it ends, so <c>Main</c> never runs.
/// </summary>
/// <remarks>The runtime finds a startup hook by this exact type name, in no namespace.</remarks>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime looks the startup hook up as the global type StartupHook.")]
internal static class StartupHook
{
    /// <summary>Set by the pool on the worker processes it starts this way; nothing else runs a worker.</summary>
    private const string SelfHostedVariable = "GAMUT_WORKER_SELF_HOSTED";

    private const string HooksVariable = "DOTNET_STARTUP_HOOKS";

    /// <summary>Called by the runtime before the application's Main.</summary>
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(SelfHostedVariable) != "1")
        {
            // Named as a hook by someone else: not a pool worker, let the application run.
            return;
        }

        // The job's own child processes are the application's ordinary processes, not workers: drop the marker and
        // this hook, keep the user's hooks.
        Environment.SetEnvironmentVariable(SelfHostedVariable, null);
        var others = (Environment.GetEnvironmentVariable(HooksVariable) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(h => !string.Equals(Path.GetFileName(h), "Gamut.Worker.dll", StringComparison.OrdinalIgnoreCase) && h != "Gamut.Worker");
        var rest = string.Join(Path.PathSeparator, others);
        Environment.SetEnvironmentVariable(HooksVariable, rest.Length == 0 ? null : rest);
        var args = Environment.GetCommandLineArgs();
        Environment.Exit(Gamut.Worker.Program.Main(args[1..]));
    }
}
