namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// Per-process execution log: one short line per execution, appended (O_APPEND) and flushed before the job returns,
/// to <c>$GAMUT_TEST_LEDGER/exec-&lt;pid&gt;.log</c>. Without the variable, nothing is written.
/// </summary>
public static class ExecutionLog
{
    private static readonly object Gate = new();
    private static FileStream? Stream = Open();

    /// <summary>Logs this process's executions under <paramref name="dir"/> from now on (for workers hosted in the test process).</summary>
    public static void UseDirectory(string? dir)
    {
        lock (Gate)
        {
            Stream?.Dispose();
            Stream = dir is null ? null : new FileStream(Path.Combine(dir, $"exec-{Environment.ProcessId}.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
        }
    }

    public static void Append(string jobId, int attempt)
    {
        var line = System.Text.Encoding.ASCII.GetBytes($"{jobId} {attempt} {Environment.ProcessId}\n");
        lock (Gate)
        {
            Stream?.Write(line);
            Stream?.Flush();
        }
    }

    private static FileStream? Open()
    {
        var dir = Environment.GetEnvironmentVariable("GAMUT_TEST_LEDGER");
        return string.IsNullOrEmpty(dir)
            ? null
            : new FileStream(Path.Combine(dir, $"exec-{Environment.ProcessId}.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
    }

    /// <summary>Reads every execution logged under <paramref name="dir"/>: (job id, attempt, pid).</summary>
    public static List<(string Id, int Attempt, int Pid)> ReadAll(string dir)
    {
        var all = new List<(string, int, int)>();
        foreach (var file in Directory.GetFiles(dir, "exec-*.log"))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var p = line.Split(' ');
                if (p.Length == 3)
                {
                    all.Add((p[0], int.Parse(p[1]), int.Parse(p[2])));
                }
            }
        }

        return all;
    }
}
