using System.Collections.Frozen;

namespace Gamut.Dashboard.Internal;

/// <summary>The page, script and styles, embedded in this assembly (never fetched from elsewhere), read once.</summary>
internal static class Assets
{
    private static readonly FrozenDictionary<string, (byte[] Body, string Type)> All = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal)
    {
        ["app.js"] = (Read("app.js"), "text/javascript; charset=utf-8"),
        ["app.css"] = (Read("app.css"), "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The page's HTML template.</summary>
    public static string Index { get; } = System.Text.Encoding.UTF8.GetString(Read("index.html"));

    /// <summary>An asset by its file name, or null for any other name.</summary>
    public static (byte[] Body, string Type)? Find(string? name) => name is not null && All.TryGetValue(name, out var a) ? a : null;

    private static byte[] Read(string name)
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream("Gamut.Dashboard.Assets." + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
