using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>RELIABILITY §5.2: bad configuration, bad inputs and lifecycle misuse get clear typed errors; nothing is left behind.</summary>
public sealed class MisuseAndLimitsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(5000)]
    public void A_pool_with_an_impossible_number_of_workers_is_refused(int workers) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessPool(new ProcessPoolOptions { Workers = workers }));

    [Fact]
    public void Out_of_range_recycling_and_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessPool(new ProcessPoolOptions { MaxJobsPerWorker = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessPool(new ProcessPoolOptions { MaxMemoryPerWorker = 1024 * 1024 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessPool(new ProcessPoolOptions { StopGracePeriod = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessPool(new ProcessPoolOptions { MaxPayloadBytes = 10 }));
        Assert.Throws<ArgumentException>(() => new ProcessPool(new ProcessPoolOptions { Serializer = new JsonJobSerializer() }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task A_map_with_a_chunk_size_below_one_is_refused(int chunk)
    {
        await using var pool = PoolTest.Create(workers: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.MapAsync(PoolTest.Square, Enumerable.Range(0, 3), new MapOptions { ChunkSize = chunk }));
    }

    [Fact]
    public async Task Submitting_after_shutdown_fails_at_once_and_shutting_down_twice_is_harmless()
    {
        var pool = PoolTest.Create(workers: 1);
        Assert.Equal(4, await pool.SubmitAsync(PoolTest.Square, 2).WaitAsync(PoolTest.Guard));
        var pids = pool.WorkerPids;
        await pool.ShutdownAsync().WaitAsync(PoolTest.Guard);
        await pool.ShutdownAsync().WaitAsync(PoolTest.Guard);
        await pool.DisposeAsync();

        await Assert.ThrowsAsync<ExecutorClosedException>(() => pool.SubmitAsync(PoolTest.Square, 2));
        Assert.Empty(pool.WorkerPids);
        Assert.All(pids, pid => Assert.False(PoolTest.IsRunning(pid)));
    }

    [Fact]
    public async Task A_drain_finishes_accepted_work_and_an_immediate_shutdown_cancels_it_leaving_no_worker()
    {
        var pool = PoolTest.Create(workers: 2);
        var accepted = Enumerable.Range(0, 50).Select(i => pool.SubmitAsync(PoolTest.Square, i)).ToArray();
        await pool.ShutdownAsync(ShutdownMode.Drain).WaitAsync(PoolTest.Guard);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), await Task.WhenAll(accepted));

        var second = PoolTest.Create(workers: 2);
        await PoolTest.WaitForReadyAsync(second, 2);
        var pids = second.WorkerPids;
        var running = second.SubmitAsync(PoolTest.Runaway, 1);
        await Task.Delay(100);
        await second.ShutdownAsync(ShutdownMode.Immediate).WaitAsync(PoolTest.Guard);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(PoolTest.Guard));
        Assert.All(pids, pid => Assert.False(PoolTest.IsRunning(pid)));
    }

    [Fact]
    public async Task Cancelling_a_completed_job_changes_nothing()
    {
        await using var pool = PoolTest.Create(workers: 1);
        using var cancel = new CancellationTokenSource();
        var job = pool.SubmitAsync(PoolTest.Square, 5, cancellationToken: cancel.Token);
        Assert.Equal(25, await job.WaitAsync(PoolTest.Guard));
        await cancel.CancelAsync();
        Assert.Equal(25, await job);
        Assert.Equal(36, await pool.SubmitAsync(PoolTest.Square, 6).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task Jobs_that_cannot_cross_the_boundary_are_refused_with_typed_errors()
    {
        await using var pool = PoolTest.Create(workers: 1);
        await Assert.ThrowsAsync<UnknownJobException>(() => pool.SubmitAsync(JobRef.Named<int, int>("pool.no-such-job"), 1));
        await Assert.ThrowsAsync<JobRegistrationException>(() => pool.SubmitAsync(JobRef.Named<string, int>("pool.square"), "x"));
        await Assert.ThrowsAsync<JobSerializationException>(() => pool.SubmitAsync(JobRef.To<StreamJob, int, Stream>(), 1));
        await Assert.ThrowsAsync<JobSerializationException>(() => pool.SubmitAsync(JobRef.To<DoubleJob, double, double>(), double.NaN));
        var cycle = new Node();
        cycle.Next = cycle;
        await Assert.ThrowsAsync<JobSerializationException>(() => pool.SubmitAsync(JobRef.To<NodeJob, Node, int>(), cycle));
        Assert.Equal(6.0, await pool.SubmitAsync(JobRef.To<DoubleJob, double, double>(), 3.0).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_payload_over_the_size_limit_is_refused_and_the_pool_is_unaffected()
    {
        await using var pool = PoolTest.Create(workers: 1, o => o with { MaxPayloadBytes = 64 * 1024 });
        var error = await Assert.ThrowsAsync<JobSerializationException>(() => pool.SubmitAsync(JobRef.To<LengthJob, string, int>(), new string('x', 100_000)));
        Assert.Contains("over the pool's limit", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, await pool.SubmitAsync(JobRef.To<LengthJob, string, int>(), "abc").WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_worker_is_replaced_after_its_maximum_number_of_jobs()
    {
        await using var pool = PoolTest.Create(workers: 1, o => o with { MaxJobsPerWorker = 5 });
        var pids = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            pids.Add(await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard));
        }

        Assert.Equal(4, pids.Distinct().Count());
        Assert.All(pids.GroupBy(p => p), g => Assert.Equal(5, g.Count()));
    }

    [Fact]
    public async Task A_worker_over_its_memory_limit_is_replaced_between_jobs()
    {
        await using var pool = PoolTest.Create(workers: 1, o => o with { MaxMemoryPerWorker = 160L * 1024 * 1024 });
        var hog = JobRef.To<HogJob, int, int>();
        var first = await pool.SubmitAsync(hog, 0).WaitAsync(PoolTest.Guard);
        var second = await pool.SubmitAsync(hog, 0).WaitAsync(PoolTest.Guard);
        var third = await pool.SubmitAsync(hog, 0).WaitAsync(PoolTest.Guard);
        Assert.True(first != third || second != third, "the worker kept growing past its limit");
        await PoolTest.WaitUntilAsync(() => !PoolTest.IsRunning(first) || first == third, "the first hog worker to be recycled");
    }

    [Fact]
    public async Task When_the_pool_s_process_is_killed_its_workers_exit_within_a_second()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var hostPid = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        var nested = await pool.SubmitAsync(JobRef.To<NestedPoolHostJob, int, int[]>(), 4).WaitAsync(PoolTest.Guard);
        Assert.Equal(4, nested.Length);
        Assert.All(nested, pid => Assert.True(PoolTest.IsRunning(pid)));

        PoolTest.Kill(hostPid);
        var killedAt = DateTime.UtcNow;
        await PoolTest.WaitUntilAsync(() => nested.All(pid => !PoolTest.IsRunning(pid)), "the orphaned workers to exit");
        // Measured, not asserted tightly (the machine is shared): a worker sees end-of-stream on its channel at once.
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromSeconds(10));
    }
}
