namespace Gamut.Cli.Measure;

/// <summary>
/// One measured figure: the distribution of a time (nanoseconds per unit of work), how many samples it rests on, how
/// much work was done and confirmed (round trips, bytes, jobs), and how it was measured, in one line.
/// </summary>
/// <param name="Section">start, switch, ipc, executors or breakeven.</param>
/// <param name="Group">What is compared within the section (a transport, an executor, "outside"); charts draw one series per group.</param>
/// <param name="Name">The figure's label in the table.</param>
/// <param name="MinNs">The fastest sample, in nanoseconds per operation.</param>
/// <param name="MedianNs">The median sample.</param>
/// <param name="P99Ns">The 99th percentile (nearest rank; the slowest sample when there are fewer than 100).</param>
/// <param name="Samples">How many timed samples.</param>
/// <param name="Work">How much work was done and counted (by the peer where there is one).</param>
/// <param name="WorkUnit">What <paramref name="Work"/> counts: round trips, bytes, jobs, processes, threads, waits.</param>
/// <param name="Method">How it was measured, in one line.</param>
internal sealed record Figure(string Section, string Group, string Name, double MinNs, double MedianNs, double P99Ns,
    int Samples, long Work, string WorkUnit, string Method)
{
    /// <summary>The size moved per operation, for the data-moving figures (the x of their charts).</summary>
    public long? Bytes { get; init; }

    /// <summary>Bytes per second at the median, for the data-moving figures.</summary>
    public double? BytesPerSecond => Bytes is { } b && MedianNs > 0 ? b / (MedianNs / 1e9) : null;

    /// <summary>The x of the break-even charts: the job size in microseconds, or the number of concurrent waits.</summary>
    public double? X { get; init; }

    /// <summary>A figure from an outside tool (perf, a C program) rather than Gamut's own code.</summary>
    public string? Tool { get; init; }

    /// <summary>Builds a figure from raw samples (nanoseconds per operation each).</summary>
    public static Figure From(string section, string group, string name, IReadOnlyList<double> samplesNs, long work, string workUnit, string method)
    {
        if (samplesNs.Count == 0)
        {
            throw new InvalidOperationException($"{section}/{name}: no samples");
        }

        var sorted = samplesNs.Order().ToArray();
        var rank = Math.Max(1, (int)Math.Ceiling(0.99 * sorted.Length));
        return new Figure(section, group, name, sorted[0], Median(sorted), sorted[rank - 1], sorted.Length, work, workUnit, method);
    }

    private static double Median(double[] sorted)
    {
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>A conclusion drawn from the figures: an essay's claim checked, a break-even point, a recommendation.</summary>
/// <param name="Kind">claim, breakeven or recommendation.</param>
/// <param name="Title">Short: the claim or the question.</param>
/// <param name="Verdict">held, did not hold, partly, or a value; for a recommendation, the executor.</param>
/// <param name="Text">Why, from which figures, by how much.</param>
internal sealed record Finding(string Kind, string Title, string Verdict, string Text);

/// <summary>A section that could not be measured here, and why (a missing tool, no --redis).</summary>
/// <param name="Section">The section.</param>
/// <param name="What">What was skipped.</param>
/// <param name="Reason">Why.</param>
internal sealed record Skipped(string Section, string What, string Reason);
