using Spectre.Console;

namespace Gamut.Cli.Measure.Report;

/// <summary>The report as tables in the terminal (Spectre.Console): one per section, then the findings.</summary>
internal static class ConsoleReport
{
    public static void Write(MeasureReport report, TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = writer == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = writer == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (writer != Console.Out || Console.IsOutputRedirected)
        {
            // Not a terminal: no width to fit, so none is imposed (Spectre would assume 80 columns).
            console.Profile.Width = 200;
        }

        var m = report.Machine;
        console.WriteLine($"gamut measure ({report.Budget}) on {m.Cores} cores, {m.Cpu}, Linux {m.Kernel}, {m.Runtime}");
        console.WriteLine($"load average {Load(m.LoadBefore)} before, {Load(m.LoadAfter)} after; {m.Elapsed.TotalSeconds:0.0} s; times are per operation (min / median / p99)");
        foreach (var section in report.Sections)
        {
            var figures = report.Figures.Where(f => f.Section == section).ToList();
            if (figures.Count == 0)
            {
                continue;
            }

            var data = figures.Any(f => f.Bytes is not null);
            var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(Markup.Escape(Titles.Of(section))) };
            table.AddColumn("what");
            if (data)
            {
                table.AddColumn(new TableColumn("size").RightAligned());
            }

            table.AddColumn(new TableColumn("min").RightAligned());
            table.AddColumn(new TableColumn("median").RightAligned());
            table.AddColumn(new TableColumn("p99").RightAligned());
            if (data)
            {
                table.AddColumn(new TableColumn("bandwidth").RightAligned());
            }

            table.AddColumn(new TableColumn("samples").RightAligned());
            table.AddColumn(new TableColumn("work done").RightAligned());
            foreach (var f in figures)
            {
                var cells = new List<string> { Markup.Escape(f.Name) };
                if (data)
                {
                    cells.Add(f.Bytes is { } b ? Units.Size(b) : "");
                }

                cells.AddRange([Units.Time(f.MinNs), Units.Time(f.MedianNs), Units.Time(f.P99Ns)]);
                if (data)
                {
                    cells.Add(f.BytesPerSecond is { } r ? Units.Rate(r) : "");
                }

                cells.Add(Units.Count(f.Samples));
                cells.Add(Markup.Escape(f.WorkUnit == "bytes" ? Units.Size(f.Work) : $"{Units.Count(f.Work)} {f.WorkUnit}"));
                table.AddRow([.. cells]);
            }

            console.WriteLine();
            console.Write(table);
            foreach (var method in figures.GroupBy(f => f.Method).Select(g => (Label: g.Count() > 1 ? g.First().Group : g.First().Name, g.Key)))
            {
                console.MarkupLine($"[grey]  {Markup.Escape(method.Label)}: {Markup.Escape(method.Key)}[/]");
            }
        }

        foreach (var s in report.Skipped)
        {
            console.MarkupLine($"[yellow]skipped[/] {Markup.Escape($"{s.Section}: {s.What}: {s.Reason}")}");
        }

        if (report.Findings.Count > 0)
        {
            var findings = new Table { Border = TableBorder.Rounded, Title = new TableTitle("What the figures say") };
            findings.AddColumn("claim or question");
            findings.AddColumn("here");
            findings.AddColumn("why");
            foreach (var f in report.Findings)
            {
                findings.AddRow(Markup.Escape(f.Title), Markup.Escape(f.Verdict), Markup.Escape(f.Text));
            }

            console.WriteLine();
            console.Write(findings);
        }
    }

    private static string Load(double? load) => load is { } l ? l.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "unknown";
}

/// <summary>The sections' titles, shared by every form of the report.</summary>
internal static class Titles
{
    public static string Of(string section) => section switch
    {
        "start" => "Starting work",
        "switch" => "Switching (one round trip)",
        "ipc" => "Moving data (one message, acknowledged)",
        "executors" => "Per-job overhead of a no-op job",
        "breakeven" => "Break-even",
        _ => section,
    };
}
