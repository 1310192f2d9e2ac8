using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Bench;

/// <summary>
/// A steadier view than wall time on a shared machine: the process's CPU time per trivial job, Threads against
/// Task.Run+await, measured alternately (A B A B ...) in one process. Run: <c>Gamut.Bench cpu [rounds] [jobs]</c>.
/// </summary>
internal static class CpuRatio
{
    public static async Task RunAsync(int rounds, int jobs)
    {
        var registry = new JobRegistry().Add<ThreadsBenchmarks.Square, int, int>("bench.square");
        await using var threads = new ThreadsExecutor(new ThreadsExecutorOptions { Registry = registry });
        var square = JobRef.Named<int, int>("bench.square");
        var variants = new (string Name, Func<Task> Run)[]
        {
            ("Task.Run+await", async () =>
            {
                for (var i = 0; i < jobs; i++)
                {
                    await Task.Run(static () => 1);
                }
            }),
            ("Threads delegate", async () =>
            {
                for (var i = 0; i < jobs; i++)
                {
                    await threads.SubmitAsync(static _ => ValueTask.FromResult(1));
                }
            }),
            ("Threads registered job", async () =>
            {
                for (var i = 0; i < jobs; i++)
                {
                    await threads.SubmitAsync(square, i);
                }
            }),
        };

        var cpu = new double[variants.Length];
        var wall = new double[variants.Length];
        for (var round = -1; round < rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                await variants[v].Run();
                var elapsed = Stopwatch.GetElapsedTime(start);
                var used = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                if (round >= 0)
                {
                    cpu[v] += used.TotalNanoseconds / jobs;
                    wall[v] += elapsed.TotalNanoseconds / jobs;
                }
            }
        }

        Console.WriteLine($"jobs={jobs} rounds={rounds} (alternating, after one warm-up round)");
        for (var v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"{variants[v].Name,-24} cpu_ns_per_job={cpu[v] / rounds,8:0.0} ratio={cpu[v] / cpu[0],5:0.00}   wall_ns_per_job={wall[v] / rounds,8:0.0} ratio={wall[v] / wall[0],5:0.00}");
        }
    }
}
