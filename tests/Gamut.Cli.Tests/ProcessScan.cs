using System.Diagnostics;

namespace Gamut.Cli.Tests;

/// <summary>Looks for processes by a marker in their command line (/proc), and signals processes, for the stop tests.</summary>
public static class ProcessScan
{
    /// <summary>The live processes whose command line holds <paramref name="marker"/>, except <paramref name="except"/> (gamut itself).</summary>
    public static IReadOnlyList<int> WithMarker(string marker, int except = -1)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId || pid == except)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var zombie = stat.Length > stat.LastIndexOf(')') + 2 && stat[stat.LastIndexOf(')') + 2] == 'Z';
                if (!zombie && cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Waits (up to a generous hang guard) until <paramref name="condition"/> holds.</summary>
    public static bool WaitUntil(Func<bool> condition, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }

    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("/bin/kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Kills what a failed test left behind, so one failure does not leak into the next test.</summary>
    public static void KillAll(string marker)
    {
        foreach (var pid in WithMarker(marker))
        {
            Signal(pid, "KILL");
        }
    }
}
