namespace Gamut.Pool.Worker;

/// <summary>
/// Where the worker program (Gamut.Worker.dll) hands over. It finds this type by name, so the name and the
/// signature of <see cref="Run"/> are a contract with src/Gamut.Worker.
/// </summary>
internal static class WorkerEntry
{
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
}
