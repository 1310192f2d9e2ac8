using System.Reflection;

namespace Gamut.Worker;

/// <summary>
/// Starts Gamut's worker host. The host lives in Gamut.dll (resolved through the application's deps.json, which
/// the pool passes to <c>dotnet exec</c>); this entry only finds it by its fixed name and hands over.
/// </summary>
internal static class Program
{
    private const string HostType = "Gamut.Pool.Worker.WorkerEntry, Gamut";

    public static async Task<int> Main(string[] args)
    {
        var host = Type.GetType(HostType, throwOnError: false);
        var run = host?.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static, [typeof(string[])]);
        if (run is null)
        {
            await Console.Error.WriteLineAsync($"gamut worker: {HostType} was not found; the worker must run with the application's deps.json").ConfigureAwait(false);
            return 71;
        }

        return await ((Task<int>)run.Invoke(null, [args])!).ConfigureAwait(false);
    }
}
