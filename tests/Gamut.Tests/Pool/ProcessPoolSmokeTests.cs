using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

public sealed class ProcessPoolSmokeTests
{
    internal static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();

    internal static JobRegistry Registry() => new JobRegistry().AddAssembly(typeof(SquareJob).Assembly);

    [Fact]
    public async Task A_registered_job_runs_in_a_worker_process_and_returns_its_result()
    {
        await using var pool = Gamut.Executors.Executors.Processes(Registry(), workers: 2);
        Assert.Equal(49, await pool.SubmitAsync(Square, 7));
        var pid = await pool.SubmitAsync(JobRef.To<PidJob, int, int>(), 0);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Contains(pid, pool.WorkerPids);
    }

    [Fact]
    public async Task A_job_submitted_as_bytes_gets_its_result_as_serialized_bytes_even_for_a_number()
    {
        await using var pool = Gamut.Executors.Executors.Processes(Registry(), workers: 1);
        var result = await pool.SubmitSerializedAsync("pool.square", "7"u8.ToArray(), "bytes-1", 1, JobOptions.Default, CancellationToken.None).WaitAsync(PoolTest.Guard);
        Assert.Equal("49", System.Text.Encoding.UTF8.GetString(result));
    }

    [Fact]
    public async Task A_map_returns_every_result_in_order()
    {
        await using var pool = Gamut.Executors.Executors.Processes(Registry(), workers: 2);
        var results = new List<int>();
        await foreach (var outcome in pool.MapAsync(Square, Enumerable.Range(0, 5000)))
        {
            results.Add(outcome.Value);
        }

        Assert.Equal(Enumerable.Range(0, 5000).Select(x => x * x), results);
    }
}
