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

/// <summary>
/// RELIABILITY PP-1: kill -9 a random worker again and again while mapping 10,000 jobs on 2 workers. The storm is paced
/// by the map's progress (a kill after every 500 outcomes), not by the clock, so a loaded machine slows it down
/// instead of killing workers faster than they can start; kills are counted from the pool's own reports of workers
/// that died of SIGKILL, not from kill attempts.
/// </summary>
public sealed class KillStormTests
{
    private const int Jobs = 10_000;
    private const int KillEvery = 500;
    private static readonly JobRef<int, long> BusySquare = JobRef.To<BusySquareJob, int, long>();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_map_under_a_kill_storm_returns_every_outcome_and_the_pool_serves_afterwards(bool retries)
    {
        var log = new RecordingLogger();
        // Outside kills can land on workers still starting; they must not be mistaken for a crash loop here.
        await using var pool = PoolTest.Create(workers: 2, o => o with { RestartIntensity = 10_000 }, log);
        await PoolTest.WaitForReadyAsync(pool, 2);
        var options = new MapOptions
        {
            Job = new JobOptions { Retry = retries ? new RetryPolicy { MaxAttempts = 50, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) } : RetryPolicy.None },
        };
        var outcomes = new List<JobOutcome<int, long>>();
        await foreach (var outcome in pool.MapAsync(BusySquare, Enumerable.Range(0, Jobs), options).WithCancellation(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token))
        {
            outcomes.Add(outcome);
            if (outcomes.Count % KillEvery == 0 && pool.WorkerPids is { Count: > 0 } pids)
            {
                PoolTest.Kill(pids[Random.Shared.Next(pids.Count)]);
            }
        }

        Assert.Equal(Jobs, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, Jobs).Select(i => (long)i), outcomes.Select(o => o.Index));
        var kills = log.Messages.Count(m => m.Contains("ended unexpectedly", StringComparison.Ordinal) && m.Contains("signal 9", StringComparison.Ordinal));
        Assert.True(kills > 0, "no worker died of SIGKILL during the map");
        var crashed = outcomes.Where(o => !o.IsSuccess).Select(o => Assert.IsType<WorkerCrashedException>(o.Error)).ToList();
        if (retries)
        {
            Assert.Empty(crashed);
        }
        else
        {
            // Only the job running at each kill dies with it: a finished result is never lost, a queued job runs elsewhere.
            Assert.All(crashed, e => Assert.Equal(9, e.Exit.Signal));
            Assert.All(crashed, e => Assert.True(e.WasRunning, e.Message));
            Assert.True(crashed.Count <= kills, $"{crashed.Count} jobs crashed in {kills} kills");
        }

        Assert.All(outcomes.Where(o => o.IsSuccess), o => Assert.Equal((long)o.Input * o.Input, o.Value));
        Assert.Equal(36L, await pool.SubmitAsync(BusySquare, 6).WaitAsync(PoolTest.Guard));
    }
}
