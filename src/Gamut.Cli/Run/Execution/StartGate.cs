using System.Globalization;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// <c>--memfree SIZE</c> and <c>--load N</c>: whether a job may start now. Memory is the kernel's estimate of
/// what is available (<c>MemAvailable</c> in /proc/meminfo); load is the number of processes running or ready
/// to run right now (the fourth field of /proc/loadavg, less this reader) — the same quantity GNU parallel
/// counts with <c>ps</c>. Checked before each start; while closed the scheduler looks again every second.
/// </summary>
internal sealed class StartGate(long? memFree, double? maxLoad)
{
    public bool Enabled => memFree is not null || maxLoad is not null;

    public bool IsOpen()
    {
        if (memFree is { } needed && AvailableMemory() is { } available && available < needed)
        {
            return false;
        }

        return maxLoad is not { } max || RunningProcesses() is not { } running || running < max;
    }

    private static long? AvailableMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var kb = line["MemAvailable:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static int? RunningProcesses()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            var running = fields[3].Split('/')[0];
            return int.Parse(running, CultureInfo.InvariantCulture) - 1;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
