namespace Gamut.Cli.Measure;

/// <summary>Everything one run of <c>gamut measure</c> found: the machine, the figures, what was skipped, the conclusions.</summary>
/// <param name="Machine">Where and when; the load before and after.</param>
/// <param name="Budget">quick, full or smoke.</param>
/// <param name="Sections">The sections run.</param>
/// <param name="Figures">The figures, in the order taken.</param>
/// <param name="Skipped">What could not be measured here.</param>
/// <param name="Findings">The essay's claims checked, the break-even points, the recommendation.</param>
internal sealed record MeasureReport(MachineInfo Machine, string Budget, IReadOnlyList<string> Sections, IReadOnlyList<Figure> Figures,
    IReadOnlyList<Skipped> Skipped, IReadOnlyList<Finding> Findings)
{
    /// <summary>The figure of <paramref name="section"/> named <paramref name="name"/>, or null when it was not measured.</summary>
    public Figure? Find(string section, string name) => Figures.FirstOrDefault(f => f.Section == section && f.Name == name);
}
