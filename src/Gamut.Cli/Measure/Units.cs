using System.Globalization;

namespace Gamut.Cli.Measure;

/// <summary>Numbers as people read them: times with the unit that suits them, sizes in binary units.</summary>
internal static class Units
{
    /// <summary>A time given in nanoseconds: "85 ns", "12.3 µs", "4.56 ms", "1.23 s".</summary>
    public static string Time(double ns) => ns switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ns:0} ns"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e3:0.##} µs"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e6:0.##} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e9:0.##} s"),
    };

    /// <summary>A size in bytes: "64 B", "64 KiB", "1 MiB".</summary>
    public static string Size(double bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024 / 1024:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024 / 1024 / 1024:0.##} GiB"),
    };

    /// <summary>A rate in bytes per second: "1.2 GiB/s".</summary>
    public static string Rate(double bytesPerSecond) => Size(bytesPerSecond) + "/s";

    /// <summary>A count with thousands separators: "12,345".</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A ratio: "3.2×".</summary>
    public static string Ratio(double r) => string.Create(CultureInfo.InvariantCulture, $"{r:0.##}×");
}
