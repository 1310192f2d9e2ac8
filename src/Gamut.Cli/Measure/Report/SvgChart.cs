using System.Globalization;
using System.Net;
using System.Text;

namespace Gamut.Cli.Measure.Report;

/// <summary>Small inline SVG charts for the HTML report: bars on a log scale, and lines on log-log axes.</summary>
internal static class SvgChart
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    /// <summary>Horizontal bars of the medians (log scale), with a whisker from min to p99.</summary>
    public static string Bars(string title, IReadOnlyList<Figure> figures)
    {
        const int labelWidth = 300, plot = 420, row = 22;
        var height = 30 + figures.Count * row + 24;
        var lo = Math.Log10(Math.Max(1, figures.Min(f => f.MinNs)));
        var hi = Math.Log10(Math.Max(10, figures.Max(f => f.P99Ns)));
        lo = Math.Floor(lo);
        hi = Math.Ceiling(hi);
        if (hi <= lo)
        {
            hi = lo + 1;
        }

        double X(double ns) => labelWidth + (Math.Log10(Math.Max(ns, 1)) - lo) / (hi - lo) * plot;
        var s = new StringBuilder();
        s.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + plot + 90}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\">"));
        s.Append(Inv($"<text x=\"4\" y=\"16\" font-weight=\"bold\">{E(title)}</text>"));
        for (var d = lo; d <= hi; d++)
        {
            var x = X(Math.Pow(10, d));
            s.Append(Inv($"<line x1=\"{x:0.0}\" y1=\"24\" x2=\"{x:0.0}\" y2=\"{height - 20}\" stroke=\"#ddd\"/>"));
            s.Append(Inv($"<text x=\"{x:0.0}\" y=\"{height - 6}\" font-size=\"10\" text-anchor=\"middle\">{E(Units.Time(Math.Pow(10, d)))}</text>"));
        }

        for (var i = 0; i < figures.Count; i++)
        {
            var f = figures[i];
            var y = 30 + i * row;
            var color = Colors[Math.Abs(StringComparer.Ordinal.GetHashCode(f.Group)) % Colors.Length];
            s.Append(Inv($"<text x=\"{labelWidth - 6}\" y=\"{y + 13}\" font-size=\"11\" text-anchor=\"end\">{E(f.Name)}</text>"));
            s.Append(Inv($"<rect x=\"{labelWidth}\" y=\"{y + 3}\" width=\"{Math.Max(1, X(f.MedianNs) - labelWidth):0.0}\" height=\"14\" fill=\"{color}\" opacity=\"0.8\"><title>{E($"{f.Name}: min {Units.Time(f.MinNs)}, median {Units.Time(f.MedianNs)}, p99 {Units.Time(f.P99Ns)}")}</title></rect>"));
            s.Append(Inv($"<line x1=\"{X(f.MinNs):0.0}\" y1=\"{y + 10}\" x2=\"{X(f.P99Ns):0.0}\" y2=\"{y + 10}\" stroke=\"#333\"/>"));
            s.Append(Inv($"<text x=\"{X(f.P99Ns) + 4:0.0}\" y=\"{y + 14}\" font-size=\"10\">{E(Units.Time(f.MedianNs))}</text>"));
        }

        return s.Append("</svg>").ToString();
    }

    /// <summary>Lines on log-log axes: one series per group, points (x, y).</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<(string Series, IReadOnlyList<(double X, double Y)> Points)> series,
        Func<double, string> xFormat, Func<double, string> yFormat)
    {
        const int left = 70, width = 520, top = 30, height = 260;
        var all = series.SelectMany(s => s.Points).Where(p => p.X > 0 && p.Y > 0).ToList();
        if (all.Count == 0)
        {
            return "";
        }

        double Lo(double v) => Math.Floor(Math.Log10(v));
        double Hi(double v) => Math.Ceiling(Math.Log10(v));
        var (x0, x1) = (Lo(all.Min(p => p.X)), Hi(all.Max(p => p.X)));
        var (y0, y1) = (Lo(all.Min(p => p.Y)), Hi(all.Max(p => p.Y)));
        x1 = Math.Max(x1, x0 + 1);
        y1 = Math.Max(y1, y0 + 1);
        double Px(double x) => left + (Math.Log10(x) - x0) / (x1 - x0) * width;
        double Py(double y) => top + height - (Math.Log10(y) - y0) / (y1 - y0) * height;
        var s = new StringBuilder();
        s.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 180}\" height=\"{top + height + 50}\" role=\"img\" aria-label=\"{E(title)}\">"));
        s.Append(Inv($"<text x=\"4\" y=\"16\" font-weight=\"bold\">{E(title)}</text>"));
        for (var d = x0; d <= x1; d++)
        {
            s.Append(Inv($"<line x1=\"{Px(Math.Pow(10, d)):0.0}\" y1=\"{top}\" x2=\"{Px(Math.Pow(10, d)):0.0}\" y2=\"{top + height}\" stroke=\"#ddd\"/>"));
            s.Append(Inv($"<text x=\"{Px(Math.Pow(10, d)):0.0}\" y=\"{top + height + 14}\" font-size=\"10\" text-anchor=\"middle\">{E(xFormat(Math.Pow(10, d)))}</text>"));
        }

        for (var d = y0; d <= y1; d++)
        {
            s.Append(Inv($"<line x1=\"{left}\" y1=\"{Py(Math.Pow(10, d)):0.0}\" x2=\"{left + width}\" y2=\"{Py(Math.Pow(10, d)):0.0}\" stroke=\"#ddd\"/>"));
            s.Append(Inv($"<text x=\"{left - 4}\" y=\"{Py(Math.Pow(10, d)) + 3:0.0}\" font-size=\"10\" text-anchor=\"end\">{E(yFormat(Math.Pow(10, d)))}</text>"));
        }

        s.Append(Inv($"<text x=\"{left + width / 2}\" y=\"{top + height + 32}\" font-size=\"11\" text-anchor=\"middle\">{E(xLabel)}</text>"));
        s.Append(Inv($"<text x=\"12\" y=\"{top + height / 2}\" font-size=\"11\" transform=\"rotate(-90 12 {top + height / 2})\" text-anchor=\"middle\">{E(yLabel)}</text>"));
        for (var i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var points = series[i].Points.Where(p => p.X > 0 && p.Y > 0).OrderBy(p => p.X).ToList();
            s.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => Inv($"{Px(p.X):0.0},{Py(p.Y):0.0}")))}\"/>"));
            foreach (var p in points)
            {
                s.Append(Inv($"<circle cx=\"{Px(p.X):0.0}\" cy=\"{Py(p.Y):0.0}\" r=\"3\" fill=\"{color}\"><title>{E($"{series[i].Series}: {xFormat(p.X)} → {yFormat(p.Y)}")}</title></circle>"));
            }

            s.Append(Inv($"<rect x=\"{left + width + 12}\" y=\"{top + i * 18}\" width=\"12\" height=\"12\" fill=\"{color}\"/>"));
            s.Append(Inv($"<text x=\"{left + width + 30}\" y=\"{top + i * 18 + 10}\" font-size=\"11\">{E(series[i].Series)}</text>"));
        }

        return s.Append("</svg>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
