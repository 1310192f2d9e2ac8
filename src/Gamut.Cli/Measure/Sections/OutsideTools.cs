using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// The same process-to-process pipe ping-pong by tools outside Gamut, to check Gamut's figure against: Linux's own
/// <c>perf bench sched pipe</c> (Debian's linux-perf) and a C program compiled here with clang or cc. Each is run
/// several times; each run's mean is one sample. A tool that is missing or refuses to run is listed as skipped.
/// </summary>
internal static partial class OutsideTools
{
    private const string PingPongC = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/wait.h>
        /* A pipe ping-pong between a parent and a forked child: one byte each way per round trip. Prints, per
           sample, the nanoseconds of one round trip (mean of a batch), then the round trips the child counted. */
        static long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
        int main(int argc, char **argv) {
            int samples = atoi(argv[1]), batch = atoi(argv[2]), up[2], down[2], counted[2];
            char b = 0; long long n = 0;
            if (pipe(up) || pipe(down) || pipe(counted)) return 1;
            pid_t pid = fork();
            if (pid == 0) {
                close(down[1]); close(up[0]); close(counted[0]);
                while (read(down[0], &b, 1) == 1) { n++; if (write(up[1], &b, 1) != 1) return 1; }
                if (write(counted[1], &n, sizeof n) != sizeof n) return 1;
                return 0;
            }
            close(down[0]); close(up[1]); close(counted[1]);
            for (int i = 0; i < batch; i++) { if (write(down[1], &b, 1) != 1 || read(up[0], &b, 1) != 1) return 1; }
            for (int s = 0; s < samples; s++) {
                long long t0 = now();
                for (int i = 0; i < batch; i++) { if (write(down[1], &b, 1) != 1 || read(up[0], &b, 1) != 1) return 1; }
                printf("%.1f\n", (double)(now() - t0) / batch);
            }
            close(down[1]);
            if (read(counted[0], &n, sizeof n) != sizeof n) return 1;
            waitpid(pid, NULL, 0);
            printf("counted %lld\n", n);
            return 0;
        }
        """;

    public static async Task RunAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        ctx.Step("switch: perf bench sched pipe");
        await PerfAsync(ctx, cancellationToken).ConfigureAwait(false);
        ctx.Step("switch: C pipe ping-pong");
        await CProgramAsync(ctx, cancellationToken).ConfigureAwait(false);
    }

    private static async Task PerfAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var runs = ctx.Budget.Count(7, 2);
        var loops = ctx.Budget.Count(100_000, 2000);
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var (exit, stdout, stderr) = await RunAsync("perf", ["bench", "sched", "pipe", "-l", loops.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
            var m = UsecsPerOp().Match(stdout);
            if (exit != 0 || !m.Success || !stdout.Contains($"Executed {loops} pipe operations", StringComparison.Ordinal))
            {
                ctx.Skip("switch", "perf bench sched pipe", exit == -1 ? "perf is not installed (Debian: apt-get install linux-perf)"
                    : $"perf did not run here: {FirstLine(stderr.Length > 0 ? stderr : stdout)}");
                return;
            }

            samples.Add(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1000);
        }

        ctx.Add(Figure.From("switch", "outside", "perf bench sched pipe (processes)", samples, (long)runs * loops, "round trips",
            $"perf bench sched pipe -l {loops}, {runs} runs, each run's mean a sample (perf checks its own count: \"Executed N pipe operations\")") with { Tool = "perf" });
    }

    private static async Task CProgramAsync(MeasureContext ctx, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("gamut-measure-");
        try
        {
            var source = Path.Combine(dir.FullName, "pingpong.c");
            var binary = Path.Combine(dir.FullName, "pingpong");
            await File.WriteAllTextAsync(source, PingPongC, cancellationToken).ConfigureAwait(false);
            string? compiler = null;
            var why = "no C compiler (clang or cc) here";
            foreach (var cc in new[] { "clang", "cc", "gcc" })
            {
                var (exit, _, stderr) = await RunAsync(cc, ["-O2", "-o", binary, source], cancellationToken).ConfigureAwait(false);
                if (exit == 0)
                {
                    compiler = cc;
                    break;
                }

                if (exit != -1)
                {
                    why = $"{cc} could not compile it: {FirstLine(stderr)}";
                }
            }

            if (compiler is null)
            {
                ctx.Skip("switch", "C pipe ping-pong", why);
                return;
            }

            var samples = ctx.Budget.Count(200, 20);
            const int batch = 100;
            var (code, stdout, err) = await RunAsync(binary, [samples.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (code != 0 || lines.Length != samples + 1 || !lines[^1].StartsWith("counted ", StringComparison.Ordinal))
            {
                ctx.Skip("switch", "C pipe ping-pong", $"the program failed (exit {code}): {FirstLine(err)}");
                return;
            }

            var counted = long.Parse(lines[^1]["counted ".Length..], CultureInfo.InvariantCulture);
            StartSection.Confirm(counted, (long)(samples + 1) * batch, "C pipe ping-pong");
            var times = lines[..^1].Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
            ctx.Add(Figure.From("switch", "outside", $"C program (processes, {compiler} -O2)", times, counted, "round trips",
                $"fork + one byte each way over two pipes, the mean of {batch} round trips a sample; the child counts the round trips") with { Tool = compiler });
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Runs a program to its end; exit -1 when it is not installed.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, "", "");
        }

        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "(no output)";

    [GeneratedRegex(@"([0-9.]+)\s+usecs/op")]
    private static partial Regex UsecsPerOp();
}
