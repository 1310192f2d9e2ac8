using System.Globalization;

namespace Gamut.Ipc.Native;

/// <summary>
/// Names a process in one 64-bit word that survives PID reuse: the pid in the high half and the low 32 bits of its
/// start time (clock ticks since boot, from /proc) in the low half. A word whose process has exited, or whose pid now
/// belongs to a process started at another time, or is a zombie, names a dead process.
/// </summary>
internal static class ProcessIdentity
{
    private static readonly Lazy<long> Self = new(() => Of(Environment.ProcessId) ?? throw new InvalidOperationException("/proc/self/stat is not readable"));

    /// <summary>This process's word.</summary>
    public static long Current => Self.Value;

    /// <summary>The pid a word names.</summary>
    public static int PidOf(long word) => (int)(word >>> 32);

    /// <summary>The word of a live process, or null when it does not exist (or is a zombie).</summary>
    public static long? Of(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        var (state, start) = stat.Value;
        if (state is 'Z' or 'X')
        {
            return null;
        }

        return ((long)pid << 32) | (uint)start;
    }

    /// <summary>Whether the process a word names is still running.</summary>
    public static bool IsAlive(long word)
    {
        if (word == 0)
        {
            return false;
        }

        if (word == Current)
        {
            return true;
        }

        return Of(PidOf(word)) == word;
    }

    private static (char State, ulong StartTicks)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself contain spaces or ')': parse after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length)
        {
            return null;
        }

        var rest = text.AsSpan(close + 2);
        var state = rest[0];
        // After the state come fields 4..; the start time is field 22, the 20th field after the state.
        var field = 0;
        var i = 0;
        while (i < rest.Length && field < 19)
        {
            if (rest[i] == ' ')
            {
                field++;
            }

            i++;
        }

        var end = rest[i..].IndexOf(' ');
        var number = end < 0 ? rest[i..] : rest.Slice(i, end);
        return ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? (state, ticks) : null;
    }
}
