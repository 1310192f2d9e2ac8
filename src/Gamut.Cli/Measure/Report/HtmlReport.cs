using System.Globalization;
using System.Net;
using System.Text;

namespace Gamut.Cli.Measure.Report;

/// <summary>
/// The report as one self-contained HTML page: inline CSS and SVG charts, nothing loaded from anywhere, so it can be
/// mailed or attached to an issue. The recommendation and the essay's claims come first, the figures after.
/// </summary>
internal static class HtmlReport
{
    public static string Render(MeasureReport r)
    {
        var m = r.Machine;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gamut measure</title>\n<style>");
        h.Append("body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0 1em}");
        h.Append("td,th{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}");
        h.Append(".method{color:#666;font-size:12px}.held{color:#2a7a2a}.not{color:#b22}svg{display:block;margin:1em 0}</style></head><body>\n");
        h.Append(Inv($"<h1>gamut measure</h1><p>{E($"{r.Budget} run on {m.Cores} cores ({m.Cpu}), Linux {m.Kernel}, {m.Runtime}; {m.Started:yyyy-MM-dd HH:mm} UTC, {m.Elapsed.TotalSeconds:0.0} s. Load average {Load(m.LoadBefore)} before, {Load(m.LoadAfter)} after.")}</p>\n"));

        var recommendations = r.Findings.Where(f => f.Kind == "recommendation").ToList();
        if (recommendations.Count > 0)
        {
            h.Append("<h2>Recommendation</h2><ul>");
            foreach (var f in recommendations)
            {
                h.Append(Inv($"<li><b>{E(f.Title)}: {E(f.Verdict)}</b> — {E(f.Text)}</li>"));
            }

            h.Append("</ul>\n");
        }

        var claims = r.Findings.Where(f => f.Kind != "recommendation").ToList();
        if (claims.Count > 0)
        {
            h.Append("<h2>The essay's claims and the break-even points, here</h2><table><tr><th>claim or question</th><th>here</th><th>from the figures</th></tr>");
            foreach (var f in claims)
            {
                var css = f.Verdict == "held" ? "held" : f.Verdict == "did not hold" ? "not" : "";
                h.Append(Inv($"<tr><td>{E(f.Title)}</td><td class=\"{css}\">{E(f.Verdict)}</td><td>{E(f.Text)}</td></tr>"));
            }

            h.Append("</table>\n");
        }

        foreach (var section in r.Sections)
        {
            var figures = r.Figures.Where(f => f.Section == section).ToList();
            if (figures.Count == 0)
            {
                continue;
            }

            h.Append(Inv($"<h2>{E(Titles.Of(section))}</h2>\n"));
            h.Append(Chart(section, figures));
            Table(h, figures);
        }

        if (r.Skipped.Count > 0)
        {
            h.Append("<h2>Not measured here</h2><ul>");
            foreach (var s in r.Skipped)
            {
                h.Append(Inv($"<li>{E($"{s.Section}: {s.What} — {s.Reason}")}</li>"));
            }

            h.Append("</ul>");
        }

        h.Append("<p class=\"method\">Times are per operation: min, median and 99th percentile of the samples. \"Work\" is what was done and confirmed (by the peer process, the job's result, or the tool's own count), warm-up included. See docs/measure.md.</p></body></html>\n");
        return h.ToString();
    }

    private static string Chart(string section, List<Figure> figures)
    {
        switch (section)
        {
            case "ipc":
                var series = figures.GroupBy(f => f.Group)
                    .Select(g => (g.Key, (IReadOnlyList<(double, double)>)[.. g.Select(f => ((double)f.Bytes!.Value, f.BytesPerSecond!.Value))]))
                    .ToList();
                return SvgChart.Lines("Bandwidth by message size (median)", "message size", "bytes per second", series, Units.Size, Units.Rate);
            case "breakeven":
                var cpu = figures.Where(f => f.Name.StartsWith("CPU job", StringComparison.Ordinal)).GroupBy(f => f.Group)
                    .Select(g => ($"{g.Key}", (IReadOnlyList<(double, double)>)[.. g.Select(f => (f.X!.Value, f.MedianNs))])).ToList();
                var waits = figures.Where(f => f.Name.EndsWith("CPU time per wait", StringComparison.Ordinal)).GroupBy(f => f.Group)
                    .Select(g => ($"{g.Key}", (IReadOnlyList<(double, double)>)[.. g.Select(f => (f.X!.Value, f.MedianNs))])).ToList();
                return SvgChart.Lines("CPU-bound: wall time per job by job size", "job size", "time per job", cpu, x => Units.Time(x * 1000), Units.Time)
                    + SvgChart.Lines("I/O-bound: CPU time per wait by concurrent waits", "concurrent waits", "CPU per wait", waits, x => Units.Count((long)x), Units.Time);
            default:
                return SvgChart.Bars($"{Titles.Of(section)}: median (bar), min to p99 (line), log scale", figures);
        }
    }

    private static void Table(StringBuilder h, List<Figure> figures)
    {
        var data = figures.Any(f => f.Bytes is not null);
        h.Append("<table><tr><th>what</th>");
        if (data)
        {
            h.Append("<th>size</th>");
        }

        h.Append("<th>min</th><th>median</th><th>p99</th>");
        if (data)
        {
            h.Append("<th>bandwidth</th>");
        }

        h.Append("<th>samples</th><th>work done</th><th>method</th></tr>\n");
        foreach (var f in figures)
        {
            h.Append(Inv($"<tr><td>{E(f.Name)}</td>"));
            if (data)
            {
                h.Append(Inv($"<td class=\"n\">{E(f.Bytes is { } b ? Units.Size(b) : "")}</td>"));
            }

            h.Append(Inv($"<td class=\"n\">{E(Units.Time(f.MinNs))}</td><td class=\"n\">{E(Units.Time(f.MedianNs))}</td><td class=\"n\">{E(Units.Time(f.P99Ns))}</td>"));
            if (data)
            {
                h.Append(Inv($"<td class=\"n\">{E(f.BytesPerSecond is { } rate ? Units.Rate(rate) : "")}</td>"));
            }

            var work = f.WorkUnit == "bytes" ? Units.Size(f.Work) : $"{Units.Count(f.Work)} {f.WorkUnit}";
            h.Append(Inv($"<td class=\"n\">{Units.Count(f.Samples)}</td><td class=\"n\">{E(work)}</td><td class=\"method\">{E(f.Method)}</td></tr>\n"));
        }

        h.Append("</table>\n");
    }

    private static string Load(double? load) => load is { } l ? l.ToString("0.00", CultureInfo.InvariantCulture) : "unknown";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
