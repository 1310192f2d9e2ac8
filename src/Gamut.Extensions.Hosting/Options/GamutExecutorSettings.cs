namespace Gamut.Extensions.Hosting;

/// <summary>
/// An in-process or process-pool executor's settings, bound from <c>Gamut:Executors:{name}</c> (for example
/// <c>Gamut:Executors:threads:MaxConcurrency</c>) and checked when the host starts.
/// </summary>
public sealed class GamutExecutorSettings
{
    /// <summary>The configuration section that holds one subsection per executor name.</summary>
    public const string Section = "Gamut:Executors";

    /// <summary>Threads: how many jobs run at once; the number of cores when null.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>Processes: how many worker processes; the number of cores when null.</summary>
    public int? Workers { get; set; }
}
