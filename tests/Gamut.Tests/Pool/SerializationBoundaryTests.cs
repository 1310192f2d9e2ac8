using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>RELIABILITY PP-3 (the mirror of CPython's test_deadlock.py): each failure at the serialization boundary gets its own typed error, never a hang, and the pool stays usable.</summary>
public sealed class SerializationBoundaryTests
{
    private static readonly JobRef<Trap, Trap> TrapRef = JobRef.To<TrapJob, Trap, Trap>();

    [Theory]
    [InlineData("throw-write-parent", typeof(JobSerializationException), "write refused in the parent")]
    [InlineData("throw-read-worker", typeof(JobSerializationException), "read refused in the worker")]
    [InlineData("crash-read-worker", typeof(WorkerCrashedException), "read crashed the worker")]
    public async Task An_input_that_fails_at_the_boundary_gets_its_own_typed_error(string mode, Type expected, string message)
    {
        await using var pool = PoolTest.Create(workers: 1);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pool.SubmitAsync(TrapRef, new Trap(mode)).WaitAsync(PoolTest.Guard));
        Assert.IsType(expected, error);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(9, await pool.SubmitAsync(PoolTest.Square, 3).WaitAsync(PoolTest.Guard));
    }

    [Theory]
    [InlineData("throw-write-worker", typeof(JobSerializationException), "write refused in the worker")]
    [InlineData("crash-write-worker", typeof(WorkerCrashedException), "write crashed the worker")]
    [InlineData("throw-read-parent", typeof(JobSerializationException), "read refused in the parent")]
    public async Task A_result_that_fails_at_the_boundary_gets_its_own_typed_error(string mode, Type expected, string message)
    {
        await using var pool = PoolTest.Create(workers: 1);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pool.SubmitAsync(TrapRef, new Trap("ok", "result:" + mode)).WaitAsync(PoolTest.Guard));
        Assert.IsType(expected, error);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(9, await pool.SubmitAsync(PoolTest.Square, 3).WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_worker_that_dies_while_a_payload_larger_than_the_socket_buffer_is_in_flight_does_not_hang_the_pool()
    {
        await using var pool = PoolTest.Create(workers: 1);
        await PoolTest.WaitForReadyAsync(pool, 1);
        var big = new string('x', 24 * 1024 * 1024);
        var crash = pool.SubmitAsync(PoolTest.Crash, "failfast");
        var large = pool.SubmitAsync(JobRef.To<LengthJob, string, int>(), big);
        await Assert.ThrowsAsync<WorkerCrashedException>(() => crash.WaitAsync(PoolTest.Guard));
        Assert.Equal(big.Length, await large.WaitAsync(PoolTest.Guard));
        var result = await pool.SubmitAsync(TrapRef, new Trap("ok", "result:ok")).WaitAsync(PoolTest.Guard);
        Assert.Equal("ok", result.Mode);
    }

    [Fact]
    public async Task In_a_map_only_the_items_that_fail_at_the_boundary_fail()
    {
        await using var pool = PoolTest.Create(workers: 2);
        var inputs = new[] { new Trap("ok"), new Trap("throw-read-worker"), new Trap("ok", "result:throw-write-worker"), new Trap("throw-write-parent"), new Trap("ok") };
        var outcomes = new List<JobOutcome<Trap, Trap>>();
        await foreach (var o in pool.MapAsync(TrapRef, inputs, new MapOptions { ChunkSize = 5 }))
        {
            outcomes.Add(o);
        }

        Assert.Equal([true, false, false, false, true], outcomes.Select(o => o.IsSuccess));
        Assert.All(outcomes.Where(o => !o.IsSuccess), o => Assert.IsType<JobSerializationException>(o.Error));
    }
}
