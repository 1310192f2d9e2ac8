namespace Gamut.Redis.Tests.Infrastructure;

public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after a generous hang guard (never a speed assertion).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? guard = null)
    {
        var until = DateTime.UtcNow + (guard ?? TimeSpan.FromSeconds(120));
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Gave up waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>CI size, or the soak size when GAMUT_CHAOS_SIZE=soak (bench/chaos/run.sh).</summary>
    public static int Scale(int ci, int soak) => Ledger.ChaosSeed.IsSoak ? soak : ci;

    private static readonly List<string> TempDirs = [];

    /// <summary>A fresh temporary directory, deleted when the test run ends even if the test failed.</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"gamut-{name}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        lock (TempDirs)
        {
            if (TempDirs.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    lock (TempDirs)
                    {
                        foreach (var d in TempDirs.Where(Directory.Exists))
                        {
                            try
                            {
                                Directory.Delete(d, recursive: true);
                            }
                            catch (IOException)
                            {
                            }
                        }
                    }
                };
            }

            TempDirs.Add(dir);
        }

        return dir;
    }
}
