using Xunit.Abstractions;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// Prints a scenario's tally as one line to the test output and, when <c>GAMUT_CHAOS_TALLIES</c> names a file,
/// appends it there (<c>./test</c> prints that file at the end; <c>bench/chaos/run.sh</c> turns it into the table of
/// docs/reliability.md). Then checks the pass criteria every scenario shares, naming the seed on failure.
/// </summary>
public static class TallyReport
{
    private static readonly object Gate = new();

    public static void Print(ITestOutputHelper output, ChaosSeed seed, string variant, Tally tally, string? note = null)
    {
        var name = variant.Length == 0 ? seed.Scenario : $"{seed.Scenario} {variant}";
        var line = $"{name}: seed={seed.Seed} size={ChaosSeed.Size} {tally}{(note is null ? "" : " | " + note)}";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("GAMUT_CHAOS_TALLIES") is { Length: > 0 } file)
        {
            lock (Gate)
            {
                File.AppendAllText(file, line + "\n");
            }
        }
    }

    /// <summary>The criteria of G1–G3: nothing acknowledged lost, nothing unexpected, nothing stuck, every duplicate accounted for.</summary>
    /// <param name="lossAllowed">Where Redis itself does not promise to keep an acknowledged write (appendfsync everysec, a fail-over to an asynchronous replica): lost jobs are allowed, and only counted.</param>
    /// <param name="lossReported">Lost jobs are allowed only if every one was reported to its waiting client (<see cref="Gamut.Redis.JobLostException"/>): a job lost without a waiter, or whose waiter was not told, fails.</param>
    public static void AssertClean(ChaosSeed seed, Tally t, bool requireAllObserved = false, bool lossAllowed = false, bool lossReported = false)
    {
        void Check(bool ok, string what)
        {
            Assert.True(ok, $"{seed}: {what} — tally: {t}");
        }

        Check(lossAllowed || t.Lost == 0 || (lossReported && t.Lost == t.LostReported), lossReported ? "acknowledged jobs were lost and not reported to a waiting client" : "acknowledged jobs were lost");
        Check(t.LostResult == 0, "executed jobs have no recorded result");
        Check(t.Unexpected == 0, "jobs ran that were never submitted");
        Check(t.Stuck == 0, "jobs are stuck after drain");
        Check(t.WinnerMismatch == 0, "a recorded result does not match exactly one execution with its fencing token");
        Check(t.PhantomDuplicates == 0, "Redis rejected outcomes of executions that never happened");
        Check(t.Inconsistent == 0, "the consistency scan found half-written state");
        Check(t.ObservedDuplicates == Math.Min(t.ReportedDuplicates, LedgerChecker.DuplicateLogMax), "the duplicate counter differs from the duplicate log");
        Check(t.Unaccounted == 0, "a duplicate execution was neither reported nor on a killed process");
        if (requireAllObserved)
        {
            Check(t.Duplicates == t.ReportedDuplicates, "reported duplicates differ from the ledger's");
        }
    }
}
