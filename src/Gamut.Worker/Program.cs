using System.Reflection;

namespace Gamut.Worker;

/// <summary>
/// Starts Gamut's worker host. The host lives in Gamut.dll (resolved through the application's deps.json, which
/// the pool passes to <c>dotnet exec</c>); this entry only finds it by its fixed name and hands over.
/// </summary>
internal static class Program
{
    private const string HostAssembly = "Gamut";
    private const string HostType = "Gamut.Pool.Worker.WorkerEntry";

    public static int Main(string[] args)
    {
        // Found by name (a compile-time reference would be a cycle: Gamut carries this program) and called through a
        // delegate: the cheapest way in, as every worker start pays for it.
        Type? host;
        try
        {
            host = Assembly.Load(new AssemblyName(HostAssembly)).GetType(HostType, throwOnError: false);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            host = null;
        }

        var run = host?.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, [typeof(string[])]);
        if (run is null)
        {
            Console.Error.WriteLine($"gamut worker: {HostType} was not found in {HostAssembly}; the worker must run with the application's deps.json");
            return 71;
        }

        return run.CreateDelegate<Func<string[], int>>()(args);
    }
}
