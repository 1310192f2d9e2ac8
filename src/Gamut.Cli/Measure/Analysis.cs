namespace Gamut.Cli.Measure;

/// <summary>
/// What the figures say: the essay's claims checked one by one (held, partly, did not hold, and by how much), the
/// break-even points, and a recommendation derived from them. Only figures measured in this run are used; a claim
/// whose figures were not measured (a section left out, a tool missing) is not listed.
/// </summary>
internal static class Analysis
{
    public static IReadOnlyList<Finding> Derive(MeasureReport r)
    {
        var findings = new List<Finding>();
        Start(r, findings);
        Switch(r, findings);
        Data(r, findings);
        Loop(r, findings);
        Redis(r, findings);
        BreakEven(r, findings);
        Recommend(r, findings);
        return findings;
    }

    private static void Start(MeasureReport r, List<Finding> findings)
    {
        if (r.Find("start", "thread: start + join") is not { } thread || r.Find("start", "process: posix_spawn") is not { } spawn)
        {
            return;
        }

        var command = r.Find("start", "process: Gamut Command");
        var ratio = spawn.MedianNs / thread.MedianNs;
        findings.Add(new Finding("claim", "Threads start faster than processes", ratio > 1 ? "held" : "did not hold",
            $"a thread {Units.Time(thread.MedianNs)}, a process by posix_spawn {Units.Time(spawn.MedianNs)} ({Units.Ratio(ratio)})"
            + (command is null ? "" : $", by Gamut's Command {Units.Time(command.MedianNs)}") + " (medians)"));
    }

    private static void Switch(MeasureReport r, List<Finding> findings)
    {
        foreach (var kind in new[] { "pipe", "futex" })
        {
            if (r.Find("switch", $"thread ↔ thread: {kind}") is not { } t || r.Find("switch", $"process ↔ process: {kind}") is not { } p)
            {
                continue;
            }

            var ratio = p.MedianNs / t.MedianNs;
            var verdict = ratio <= 1.5 ? "held" : ratio <= 2.5 ? "partly" : "did not hold";
            findings.Add(new Finding("claim", $"A process switch costs about what a thread switch costs ({kind})", verdict,
                $"round trip between processes {Units.Time(p.MedianNs)}, between threads {Units.Time(t.MedianNs)}: {Units.Ratio(ratio)} (medians; 'about' taken as within 1.5×)"));
        }

        var ours = r.Find("switch", "process ↔ process: pipe");
        foreach (var outside in r.Figures.Where(f => f.Section == "switch" && f.Group == "outside"))
        {
            if (ours is not null)
            {
                findings.Add(new Finding("check", $"Gamut's pipe ping-pong against {outside.Name}", Units.Ratio(ours.MedianNs / outside.MedianNs),
                    $"Gamut (.NET, raw read/write) {Units.Time(ours.MedianNs)} per round trip, {outside.Tool} {Units.Time(outside.MedianNs)} (medians)"));
            }
        }
    }

    private static void Data(MeasureReport r, List<Finding> findings)
    {
        var data = r.Figures.Where(f => f.Section == "ipc" && f.Bytes is not null).ToList();
        if (data.Count == 0)
        {
            return;
        }

        var largest = data.Max(f => f.Bytes!.Value);
        var smallest = data.Min(f => f.Bytes!.Value);
        var copied = data.FirstOrDefault(f => f.Group == "shared memory" && f.Bytes == largest);
        var inPlace = data.FirstOrDefault(f => f.Group == "shared memory, in place" && f.Bytes == largest);
        var others = data.Where(f => !f.Group.StartsWith("shared memory", StringComparison.Ordinal) && f.Group != "redis" && f.Bytes == largest).OrderBy(f => f.MedianNs).ToList();
        if (copied is null || inPlace is null || others.Count == 0)
        {
            return;
        }

        var best = others[0];
        var ratio = best.MedianNs / inPlace.MedianNs;
        var copyRatio = best.MedianNs / copied.MedianNs;
        var small = data.Where(f => f.Bytes == smallest && f.Group != "redis").OrderBy(f => f.MedianNs).FirstOrDefault();
        findings.Add(new Finding("claim", "Sharing memory beats arm's-length IPC for large data", ratio > 1.1 ? (copyRatio > 1.1 ? "held" : "held, in place only") : ratio >= 0.9 ? "partly" : "did not hold",
            $"{Units.Size(largest)}: shared memory read in place {Units.Rate(inPlace.BytesPerSecond!.Value)} ({Units.Ratio(ratio)} the best of the rest, {best.Group}, {Units.Rate(best.BytesPerSecond!.Value)}); "
            + $"copied in and out {Units.Rate(copied.BytesPerSecond!.Value)} ({Units.Ratio(copyRatio)}): the gain is in not copying"
            + (small is null ? "" : $"; at {Units.Size(smallest)} the quickest was {small.Group} ({Units.Time(small.MedianNs)})")));
    }

    private static void Loop(MeasureReport r, List<Finding> findings)
    {
        var points = r.Figures.Where(f => f.Section == "breakeven" && f.Name.EndsWith("CPU time per wait", StringComparison.Ordinal)).ToList();
        var texts = new List<string>();
        var loopWins = 0;
        var compared = 0;
        foreach (var n in points.Select(f => f.X).Distinct().OrderBy(x => x))
        {
            var loop = points.FirstOrDefault(f => f.Group == "Loop" && f.X == n);
            var threads = points.FirstOrDefault(f => f.Group == "Threads" && f.X == n);
            var blocked = points.FirstOrDefault(f => f.Group == "Threads, blocking" && f.X == n);
            if (loop is null)
            {
                continue;
            }

            // The claim is against a thread per wait (each wait a blocked thread the kernel must switch to).
            if (blocked is not null)
            {
                compared++;
                loopWins += loop.MedianNs < blocked.MedianNs ? 1 : 0;
            }

            texts.Add($"{Units.Count((long)n!.Value)} waits: Loop {Units.Time(loop.MedianNs)} CPU per wait"
                + (blocked is null ? "" : $", a blocked thread per wait {Units.Time(blocked.MedianNs)} ({Units.Ratio(blocked.MedianNs / Math.Max(1, loop.MedianNs))})")
                + (threads is null ? "" : $", Threads with async waits {Units.Time(threads.MedianNs)} ({Units.Ratio(threads.MedianNs / Math.Max(1, loop.MedianNs))})"));
        }

        if (compared > 0)
        {
            findings.Add(new Finding("claim", "An event loop needs no switches at all (waits cost it less than a thread per wait)",
                loopWins == compared ? "held" : loopWins > 0 ? "partly" : "did not hold",
                string.Join("; ", texts) + " (medians; the ratios are the other's cost over the loop's). .NET's thread pool with async waits needs no thread per wait either, and is compared too."));
        }

        if (r.Find("executors", "Loop: one at a time") is { } l && r.Find("executors", "Threads: one at a time") is { } th)
        {
            findings.Add(new Finding("check", "A no-op job on the Loop against Threads (one at a time)", Units.Ratio(th.MedianNs / l.MedianNs),
                $"Loop {Units.Time(l.MedianNs)}, Threads {Units.Time(th.MedianNs)} per job (medians)"));
        }
    }

    private static void Redis(MeasureReport r, List<Finding> findings)
    {
        if (r.Find("executors", "Redis: one at a time") is not { } redis)
        {
            return;
        }

        var pool = r.Find("executors", "Processes: one at a time");
        var tcp = r.Figures.Where(f => f.Group == "tcp loopback").OrderBy(f => f.Bytes).FirstOrDefault();
        findings.Add(new Finding("claim", "Redis adds a network round trip", "held",
            $"a no-op job through Redis {Units.Time(redis.MedianNs)}" + (pool is null ? "" : $", on the process pool {Units.Time(pool.MedianNs)} ({Units.Ratio(redis.MedianNs / pool.MedianNs)})")
            + (tcp is null ? "" : $"; one TCP round trip on loopback is {Units.Time(tcp.MedianNs)}, so a Redis job is about {redis.MedianNs / tcp.MedianNs:0} of them (enqueue, take, record, notify, read)")));
    }

    private static void BreakEven(MeasureReport r, List<Finding> findings)
    {
        var cpu = r.Figures.Where(f => f.Section == "breakeven" && f.Name.StartsWith("CPU job", StringComparison.Ordinal)).ToList();
        var sizes = cpu.Select(f => f.X!.Value).Distinct().Order().ToList();
        if (sizes.Count > 0)
        {
            var kept = new List<double>();
            var parts = new List<string>();
            foreach (var s in sizes)
            {
                var t = cpu.First(f => f.X == s && f.Group == "Threads");
                var p = cpu.First(f => f.X == s && f.Group == "Processes");
                parts.Add($"{Units.Time(s * 1000)}: Processes {Units.Ratio(p.MedianNs / t.MedianNs)} the time of Threads");
                if (p.MedianNs <= t.MedianNs * 1.05)
                {
                    kept.Add(s);
                }
            }

            var verdict = kept.Count == sizes.Count ? "at every size measured"
                : kept.Count == 0 ? "not within the sizes measured"
                : $"at {string.Join(", ", kept.Select(k => Units.Time(k * 1000)))} only";
            findings.Add(new Finding("breakeven", "CPU-bound: where Processes catch up with Threads", verdict,
                string.Join("; ", parts) + " (per job, medians; 'catch up' = within 5%; on a loaded machine each worker process is one more claim on the CPU, which can favour Processes)."));
        }

        foreach (var name in new[] { "Processes", "Redis" })
        {
            if (OverheadPerJob(r, name) is { } overhead)
            {
                var why = Floored(r, name)
                    ? $"{name} were no slower than Threads when kept busy here (noise), so a tenth of its own time per job, {Units.Time(overhead)}, is taken as its cost"
                    : $"{name} costs {Units.Time(overhead)} per job beyond Threads when kept busy (many jobs at once, medians)";
                findings.Add(new Finding("breakeven", $"Jobs long enough for {name}' overhead to stay under 5%", $"≥ {Units.Time(overhead * 20)}",
                    why + "; a job 20 times that long hides it"));
            }
        }
    }

    /// <summary>
    /// The extra time per job of <paramref name="name"/> over Threads when both are kept busy; at least a tenth of its
    /// own time per job, so noise that makes it look free (or cheaper than Threads) does not give a threshold of zero.
    /// </summary>
    private static double? OverheadPerJob(MeasureReport r, string name) =>
        Busy(r, name) is { } busy && Busy(r, "Threads") is { } threads ? Math.Max(busy.MedianNs - threads.MedianNs, busy.MedianNs * 0.1) : null;

    private static bool Floored(MeasureReport r, string name) =>
        Busy(r, name) is { } busy && Busy(r, "Threads") is { } threads && busy.MedianNs - threads.MedianNs < busy.MedianNs * 0.1;

    private static Figure? Busy(MeasureReport r, string group) =>
        r.Figures.FirstOrDefault(f => f.Section == "executors" && f.Group == group && f.Name.EndsWith("at once", StringComparison.Ordinal));

    private static void Recommend(MeasureReport r, List<Finding> findings)
    {
        var threads = r.Find("executors", "Threads: one at a time");
        var inline = r.Find("executors", "Inline: one at a time");
        if (threads is not null && inline is not null)
        {
            findings.Add(new Finding("recommendation", "Short in-process jobs (under about " + Units.Time(threads.MedianNs * 20) + ")", "Inline or Threads",
                $"Threads costs {Units.Time(threads.MedianNs)} a job here (Inline {Units.Time(inline.MedianNs)}); below ~20 times that, batch the work (map with chunks) or run it inline"));
        }

        var poolOverhead = OverheadPerJob(r, "Processes");
        var cpuBreak = findings.FirstOrDefault(f => f.Title.StartsWith("CPU-bound", StringComparison.Ordinal));
        if (cpuBreak is not null && cpuBreak.Verdict == "at every size measured")
        {
            findings.Add(new Finding("recommendation", "CPU-bound jobs that trust each other", "Threads or Processes",
                "Processes kept up with Threads here at every size measured (on a loaded machine each worker process is one more claim on the CPU); Threads need no serialization and share memory"));
        }
        else if (threads is not null || cpuBreak is not null)
        {
            findings.Add(new Finding("recommendation", "CPU-bound jobs that trust each other", "Threads",
                "all cores, shared memory, no serialization" + (cpuBreak is null ? "" : $"; Processes kept up {cpuBreak.Verdict}")));
        }

        if (poolOverhead is { } po)
        {
            findings.Add(new Finding("recommendation", "Jobs that may crash, leak, hang or must be killed", "Processes",
                $"isolation for {Units.Time(po)} a job when busy; for jobs of {Units.Time(po * 20)} or more that is under 5%"));
        }

        var waits = r.Figures.Where(f => f.Section == "breakeven" && f.Name.EndsWith("CPU time per wait", StringComparison.Ordinal) && f.X >= 1000).ToList();
        if (waits.FirstOrDefault(f => f.Group == "Loop") is { } lw)
        {
            var tw = waits.FirstOrDefault(f => f.Group == "Threads" && f.X == lw.X);
            var tb = waits.FirstOrDefault(f => f.Group == "Threads, blocking" && f.X == lw.X);
            var best = tw is not null && tw.MedianNs < lw.MedianNs ? "Loop or Threads (async)" : "Loop";
            findings.Add(new Finding("recommendation", "Many concurrent waits (sockets, timers, child processes)", best,
                $"{Units.Count((long)lw.X!.Value)} waits cost the loop {Units.Time(lw.MedianNs)} CPU each" + (tw is null ? "" : $", Threads with async waits {Units.Time(tw.MedianNs)}")
                + (tb is null ? "" : $", a blocked thread per wait {Units.Time(tb.MedianNs)}") + "; never block a thread per wait; on the loop, keep CPU work off it (await a Threads executor)"));
        }

        if (OverheadPerJob(r, "Redis") is { } ro)
        {
            findings.Add(new Finding("recommendation", "Work beyond one machine, or that must survive a crash of it", "Redis",
                $"{Units.Time(ro)} a job when busy; worth it for jobs of {Units.Time(ro * 20)} or more, and each machine added brings its cores"));
        }
    }
}
