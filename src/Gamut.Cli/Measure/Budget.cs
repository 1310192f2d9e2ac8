namespace Gamut.Cli.Measure;

/// <summary>
/// How much each section measures. Counts are of timed samples; each measurement also runs a warm-up of its own
/// first (so the JIT has compiled the code being timed, and the caches and the scheduler have settled).
/// </summary>
/// <param name="Name">quick, full or smoke.</param>
/// <param name="Scale">A multiplier on the sample counts (1 for full).</param>
/// <param name="IpcSizes">The message sizes of the ipc section.</param>
/// <param name="SpinMicros">The CPU-bound job sizes of the break-even section, in microseconds.</param>
/// <param name="Waits">The numbers of concurrent waits of the I/O break-even.</param>
/// <param name="Rounds">Repetitions of each break-even point (the median is kept).</param>
internal sealed record Budget(string Name, double Scale, long[] IpcSizes, int[] SpinMicros, int[] Waits, int Rounds)
{
    private const long KiB = 1024, MiB = 1024 * 1024;

    /// <summary>Under two minutes: every size, every point, three rounds.</summary>
    public static readonly Budget Full = new("full", 1.0, [64, 4 * KiB, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB], [10, 100, 1000, 10_000], [10, 1000, 10_000], 3);

    /// <summary>Under twenty seconds: fewer samples, the end points of each range.</summary>
    public static readonly Budget Quick = new("quick", 0.2, [64, 64 * KiB, 1 * MiB, 64 * MiB], [10, 1000, 10_000], [10, 1000, 10_000], 1);

    /// <summary>The least that runs every code path (the tests use it beside one real --quick run).</summary>
    public static readonly Budget Smoke = new("smoke", 0.02, [64, 1 * MiB], [100, 5000], [10, 100], 1);

    /// <summary>A sample count: <paramref name="full"/> scaled down, at least <paramref name="least"/>.</summary>
    public int Count(int full, int least = 3) => Math.Max(least, (int)(full * Scale));
}
