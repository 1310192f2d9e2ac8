namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>Waiting for events (the Redis suite's helper, without its chaos sizes).</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails after a generous hang guard (never a speed assertion).</summary>
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

    /// <summary>A fresh temporary directory.</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"gamut-{name}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
