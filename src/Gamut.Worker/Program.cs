using System.Reflection;
using System.Runtime.CompilerServices;

namespace Gamut.Worker;

/// <summary>
/// Starts Gamut's worker host. The host lives in Gamut.dll (resolved through the application's deps.json, which
/// the pool passes to <c>dotnet exec</c>); this entry only loads it and hands over.
/// </summary>
/// <remarks>
/// A compile-time reference would be a cycle (Gamut carries this program), so the hand-over is by name: Gamut's
/// module initializer publishes its entry point as the AppContext value <see cref="EntryKey"/>. Running it costs no
/// type lookup by name (the type-name parser is not free on a cold runtime, and every worker start pays for it).
/// </remarks>
internal static class Program
{
    private const string HostAssembly = "Gamut";
    private const string EntryKey = "Gamut.Pool.WorkerEntry";

    public static int Main(string[] args)
    {
        Func<string[], int>? run = null;
        try
        {
            var gamut = Assembly.Load(new AssemblyName(HostAssembly));
            RuntimeHelpers.RunModuleConstructor(gamut.ManifestModule.ModuleHandle);
            run = AppContext.GetData(EntryKey) as Func<string[], int>;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
        }

        if (run is null)
        {
            Console.Error.WriteLine($"gamut worker: {HostAssembly} did not provide {EntryKey}; the worker must run with the application's deps.json");
            return 71;
        }

        return run(args);
    }
}
