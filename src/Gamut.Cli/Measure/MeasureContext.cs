namespace Gamut.Cli.Measure;

/// <summary>What a section needs while it runs, and where it puts what it found.</summary>
internal sealed class MeasureContext(MeasureArgs args, Action<string> step)
{
    private readonly List<Figure> _figures = [];
    private readonly List<Skipped> _skipped = [];

    /// <summary>The command line.</summary>
    public MeasureArgs Args { get; } = args;

    /// <summary>How much to measure.</summary>
    public Budget Budget => Args.Budget;

    /// <summary>The figures so far, in the order they were taken.</summary>
    public IReadOnlyList<Figure> Figures => _figures;

    /// <summary>What could not be measured here, and why.</summary>
    public IReadOnlyList<Skipped> Skipped => _skipped;

    /// <summary>A time cap per measurement: generous, it only keeps a run on an overloaded machine within its promise.</summary>
    public TimeSpan Cap => Budget.Name == "full" ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(1);

    /// <summary>Tells the progress display what is being measured now.</summary>
    public void Step(string what) => step(what);

    /// <summary>Adds a figure.</summary>
    public void Add(Figure figure) => _figures.Add(figure);

    /// <summary>Records a measurement that could not be made here.</summary>
    public void Skip(string section, string what, string reason) => _skipped.Add(new Skipped(section, what, reason));
}
