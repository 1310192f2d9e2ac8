using System.Globalization;
using System.Runtime.InteropServices;

namespace Gamut.Cli.Measure;

/// <summary>What the figures were measured on: cores, load (before and after), kernel, runtime, time.</summary>
internal sealed record MachineInfo(int Cores, string Kernel, string Runtime, string Cpu, DateTimeOffset Started)
{
    /// <summary>The 1-minute load average when the run began.</summary>
    public double? LoadBefore { get; init; }

    /// <summary>The 1-minute load average when the run ended.</summary>
    public double? LoadAfter { get; init; }

    /// <summary>How long the whole run took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The machine as it is now.</summary>
    public static MachineInfo Now() => new(
        Environment.ProcessorCount,
        Read("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString(),
        DateTimeOffset.UtcNow)
    { LoadBefore = Load() };

    /// <summary>The 1-minute load average, from /proc/loadavg; null where there is none.</summary>
    public static double? Load() =>
        Read("/proc/loadavg")?.Split(' ') is [var first, ..] && double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : null;

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
