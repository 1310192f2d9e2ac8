namespace Gamut.Pool.Worker;

/// <summary>
/// Where the worker program (Gamut.Worker.dll) hands over. It finds this type by name, so the name and the
/// signature of <see cref="RunAsync"/> are a contract with src/Gamut.Worker.
/// </summary>
internal static class WorkerEntry
{
    /// <summary>Runs a worker until the pool stops it, or the pool goes away.</summary>
    /// <param name="args">The worker's command line (see <see cref="WorkerArguments"/>).</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        WorkerArguments arguments;
        try
        {
            arguments = WorkerArguments.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync($"gamut worker: {e.Message}").ConfigureAwait(false);
            return 64;
        }

        var host = new WorkerHost(arguments);
        return await host.RunAsync().ConfigureAwait(false);
    }
}
