using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The seed of a scenario's fault schedule (RELIABILITY.md §3.1): printed at the start and in every tally, and
/// taken from <c>GAMUT_CHAOS_SEED</c> when set, so a failing schedule can be replayed. It fixes which faults happen
/// when and where; thread timing still varies between runs, as in Jepsen.
/// </summary>
public sealed class ChaosSeed
{
    private ChaosSeed(string scenario, int seed)
    {
        Scenario = scenario;
        Seed = seed;
        Random = new Random(seed);
    }

    public string Scenario { get; }

    public int Seed { get; }

    /// <summary>Every random choice of the schedule comes from here.</summary>
    public Random Random { get; }

    /// <summary>"soak" when <c>GAMUT_CHAOS_SIZE=soak</c> (or <c>GAMUT_SOAK=1</c>), else "ci".</summary>
    public static string Size => IsSoak ? "soak" : "ci";

    public static bool IsSoak =>
        Environment.GetEnvironmentVariable("GAMUT_CHAOS_SIZE") == "soak" || Environment.GetEnvironmentVariable("GAMUT_SOAK") == "1";

    public static ChaosSeed Start(ITestOutputHelper output, string scenario)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GAMUT_CHAOS_SEED"), out var s) ? s : Random.Shared.Next();
        output.WriteLine($"{scenario}: seed={seed} size={Size} (replay: GAMUT_CHAOS_SEED={seed})");
        return new ChaosSeed(scenario, seed);
    }

    /// <summary>A uniformly random duration in [min, max).</summary>
    public TimeSpan Between(TimeSpan min, TimeSpan max) => min + ((max - min) * Random.NextDouble());

    public override string ToString() => $"{Scenario} seed={Seed}";
}
