using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>Spins for about a third of a millisecond, then squares its input: long enough for a kill storm to land mid-map.</summary>
[Job("pool.busy-square")]
public sealed class BusySquareJob : IJob<int, long>
{
    public ValueTask<long> RunAsync(int input, JobContext context)
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency / 3000);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
        }

        return ValueTask.FromResult((long)input * input);
    }
}

/// <summary>RELIABILITY PP-1: kill -9 a random worker every 200 ms while mapping 10,000 jobs on 2 workers.</summary>
public sealed class KillStormTests
{
    private const int Jobs = 10_000;
    private static readonly JobRef<int, long> BusySquare = JobRef.To<BusySquareJob, int, long>();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_map_under_a_kill_storm_returns_every_outcome_and_the_pool_serves_afterwards(bool retries)
    {
        // Outside kills often land on workers still starting; they must not be mistaken for a crash loop here.
        await using var pool = PoolTest.Create(workers: 2, o => o with { RestartIntensity = 10_000 });
        await PoolTest.WaitForReadyAsync(pool, 2);
        var kills = 0;
        using var storm = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            while (!storm.IsCancellationRequested)
            {
                await Task.Delay(200);
                var pids = pool.WorkerPids;
                if (pids.Count > 0 && !storm.IsCancellationRequested)
                {
                    PoolTest.Kill(pids[Random.Shared.Next(pids.Count)]);
                    Interlocked.Increment(ref kills);
                }
            }
        });

        var options = new MapOptions
        {
            Job = new JobOptions { Retry = retries ? new RetryPolicy { MaxAttempts = 50, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) } : RetryPolicy.None },
        };
        var outcomes = new List<JobOutcome<int, long>>();
        await foreach (var outcome in pool.MapAsync(BusySquare, Enumerable.Range(0, Jobs), options).WithCancellation(new CancellationTokenSource(PoolTest.Guard).Token))
        {
            outcomes.Add(outcome);
        }

        await storm.CancelAsync();
        await killer;

        Assert.Equal(Jobs, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, Jobs).Select(i => (long)i), outcomes.Select(o => o.Index));
        Assert.True(kills > 0);
        var crashed = outcomes.Where(o => !o.IsSuccess).Select(o => Assert.IsType<WorkerCrashedException>(o.Error)).ToList();
        if (retries)
        {
            Assert.Empty(crashed);
        }
        else
        {
            Assert.All(crashed, e => Assert.Equal(9, e.Exit.Signal));
            // Only the job running at each kill dies with it (others lose at most a result not yet sent).
            Assert.True(crashed.Count(e => e.WasRunning) <= kills, $"{crashed.Count(e => e.WasRunning)} running jobs crashed in {kills} kills");
        }

        Assert.All(outcomes.Where(o => o.IsSuccess), o => Assert.Equal((long)o.Input * o.Input, o.Value));
        Assert.Equal(36L, await pool.SubmitAsync(BusySquare, 6).WaitAsync(PoolTest.Guard));
    }
}
