using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary>
/// <c>--termseq SIG,MS,SIG,MS,…</c>: how a job is stopped — each signal is sent to the job's process group, then
/// gamut waits up to MS milliseconds for the job to end before the next; the last signal is sent and waited for
/// as well. Signals by name (<c>TERM</c>, <c>SIGINT</c>) or number.
/// </summary>
internal sealed record TermSeq(IReadOnlyList<(int Signal, int Milliseconds)> Steps)
{
    private static readonly Dictionary<string, int> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ABRT"] = 6, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11,
        ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20,
    };

    public static TermSeq Parse(string text)
    {
        var parts = text.Split(',');
        var steps = new List<(int, int)>();
        for (var i = 0; i < parts.Length; i += 2)
        {
            var name = parts[i].Trim();
            if (name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase))
            {
                name = name[3..];
            }

            if (!Names.TryGetValue(name, out var signal) && !(int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out signal) && signal is > 0 and < 65))
            {
                throw new UsageException($"--termseq '{text}': '{parts[i]}' is not a signal (e.g. TERM,200,TERM,100,KILL,25)");
            }

            var ms = 0;
            if (i + 1 < parts.Length && !int.TryParse(parts[i + 1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ms))
            {
                throw new UsageException($"--termseq '{text}': '{parts[i + 1]}' is not a number of milliseconds");
            }

            steps.Add((signal, ms));
        }

        return new TermSeq(steps);
    }
}
