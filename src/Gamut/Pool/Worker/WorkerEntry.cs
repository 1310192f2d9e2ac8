using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Gamut.Pool.Worker;

/// <summary>
/// Where the worker program (Gamut.Worker.dll) hands over. Gamut's module initializer publishes <see cref="Run"/> as
/// the AppContext value <see cref="EntryKey"/>, which is a contract with src/Gamut.Worker.
/// </summary>
internal static class WorkerEntry
{
    /// <summary>The AppContext key the entry point is published under.</summary>
    public const string EntryKey = "Gamut.Pool.WorkerEntry";

    /// <summary>Runs a worker until the pool stops it, or the pool goes away, on the calling thread.</summary>
    /// <param name="args">The worker's command line (see <see cref="WorkerArguments"/>).</param>
    /// <returns>The process exit code.</returns>
    public static int Run(string[] args)
    {
        WorkerArguments arguments;
        try
        {
            arguments = WorkerArguments.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"gamut worker: {e.Message}");
            return 64;
        }

        return new WorkerHost(arguments).Run();
    }

    // One AppContext entry, set when Gamut's module is first used: a delegate, so the worker program calls it without
    // looking a type up by name. Nothing else runs here.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "It only publishes the worker's entry point; nothing runs until the worker program calls it.")]
    internal static void Publish()
    {
        // A natively compiled application cannot host a pool worker (workers are JIT processes started with
        // dotnet exec); publishing nothing there keeps the worker host, and its reflection over job types, out of
        // the native image (IsDynamicCodeSupported is a constant false in it).
        if (RuntimeFeature.IsDynamicCodeSupported)
        {
            AppContext.SetData(EntryKey, new Func<string[], int>(Run));
        }
    }
}
