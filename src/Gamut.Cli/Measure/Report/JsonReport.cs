using System.Text.Json;

namespace Gamut.Cli.Measure.Report;

/// <summary>
/// The report as one JSON document (written field by field: the shape is the contract, documented in
/// docs/measure.md). Times are nanoseconds per operation; work is what was done and confirmed.
/// </summary>
internal static class JsonReport
{
    public static void Write(MeasureReport report, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var m = report.Machine;
        w.WriteStartObject();
        w.WriteString("tool", $"gamut {Usage.Version}");
        w.WriteString("budget", report.Budget);
        w.WriteStartObject("machine");
        w.WriteNumber("cores", m.Cores);
        w.WriteString("cpu", m.Cpu);
        w.WriteString("kernel", m.Kernel);
        w.WriteString("runtime", m.Runtime);
        w.WriteString("started", m.Started);
        Number(w, "loadBefore", m.LoadBefore);
        Number(w, "loadAfter", m.LoadAfter);
        w.WriteNumber("elapsedSeconds", Math.Round(m.Elapsed.TotalSeconds, 3));
        w.WriteEndObject();
        w.WriteStartArray("sections");
        foreach (var s in report.Sections)
        {
            w.WriteStringValue(s);
        }

        w.WriteEndArray();
        w.WriteStartArray("figures");
        foreach (var f in report.Figures)
        {
            w.WriteStartObject();
            w.WriteString("section", f.Section);
            w.WriteString("group", f.Group);
            w.WriteString("name", f.Name);
            w.WriteNumber("minNs", Math.Round(f.MinNs, 1));
            w.WriteNumber("medianNs", Math.Round(f.MedianNs, 1));
            w.WriteNumber("p99Ns", Math.Round(f.P99Ns, 1));
            w.WriteNumber("samples", f.Samples);
            w.WriteNumber("work", f.Work);
            w.WriteString("workUnit", f.WorkUnit);
            if (f.Bytes is { } bytes)
            {
                w.WriteNumber("bytes", bytes);
                w.WriteNumber("bytesPerSecond", Math.Round(f.BytesPerSecond ?? 0));
            }

            if (f.X is { } x)
            {
                w.WriteNumber("x", x);
            }

            if (f.Tool is { } tool)
            {
                w.WriteString("tool", tool);
            }

            w.WriteString("method", f.Method);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("skipped");
        foreach (var s in report.Skipped)
        {
            w.WriteStartObject();
            w.WriteString("section", s.Section);
            w.WriteString("what", s.What);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var f in report.Findings)
        {
            w.WriteStartObject();
            w.WriteString("kind", f.Kind);
            w.WriteString("title", f.Title);
            w.WriteString("verdict", f.Verdict);
            w.WriteString("text", f.Text);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
