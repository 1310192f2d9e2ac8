using System.Globalization;
using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary>The instances of a ring as <c>gamut status</c> and <c>gamut ring show</c> print them.</summary>
internal static class InstancesTable
{
    public static void Write(TextWriter o, RedisStatus status)
    {
        if (status.Ring is not { } ring)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine($"ring version {N(ring.Version)}: {ring.Members.Count} members{(ring.Draining.Count > 0 ? $", {ring.Draining.Count} draining" : "")}, {N(ring.VirtualNodes)} virtual nodes each");
        string[] header = ["instance", "state", "answers", "version", "share", "ready", "delayed", "running", "pending"];
        var rows = status.Instances.Select(i => new[]
        {
            i.Instance,
            i.State,
            i.Answers ? "yes" : "NO",
            i.Version is { } v ? N(v) : "-",
            i.State == "member" ? i.Share.ToString("0.0%", CultureInfo.InvariantCulture) : "-",
            i.Answers ? N(i.Ready) : "-",
            i.Answers ? N(i.Delayed) : "-",
            i.Answers ? N(i.Running) : "-",
            N(i.Pending),
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        o.WriteLine(string.Join("  ", header.Select((h, c) => c <= 2 ? h.PadRight(widths[c]) : h.PadLeft(widths[c]))));
        foreach (var r in rows)
        {
            o.WriteLine(string.Join("  ", r.Select((v, c) => c <= 2 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]))));
        }

        foreach (var i in status.Instances.Where(i => !i.Answers))
        {
            var queues = string.Join(", ", i.PendingByQueue.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {N(p.Value)}"));
            o.WriteLine($"{i.Instance} does not answer: {N(i.Pending)} of its jobs are pending (not lost; they run when it returns){(queues.Length > 0 ? $" — {queues}" : "")}");
        }
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
