using System.Runtime.CompilerServices;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>The pool's map (chunks, ordering, cancellation, input errors) and how values cross the channel.</summary>
public sealed class MapTests
{
    private static readonly JobRef<double, double> Identity = JobRef.To<IdentityDoubleJob, double, double>();
    private static readonly JobRef<double, double> Reciprocal = JobRef.To<ReciprocalJob, double, double>();

    [Fact]
    public async Task Primitive_numbers_cross_exactly_and_a_non_finite_result_fails_alone()
    {
        await using var pool = PoolTest.Create(workers: 2);
        double[] doubles = [0.1, 1.0 / 3, -0.0, double.Epsilon, double.MaxValue, -double.MaxValue, 6.02214076e23];
        foreach (var d in doubles)
        {
            var back = await pool.SubmitAsync(Identity, d).WaitAsync(PoolTest.Guard);
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
        }

        Assert.Equal(long.MaxValue, await pool.SubmitAsync(JobRef.To<NegateLongJob, long, long>(), -long.MaxValue).WaitAsync(PoolTest.Guard));
        Assert.Equal(long.MinValue, await pool.SubmitAsync(JobRef.To<NegateLongJob, long, long>(), long.MinValue).WaitAsync(PoolTest.Guard));
        Assert.False(await pool.SubmitAsync(JobRef.To<NotJob, bool, bool>(), true).WaitAsync(PoolTest.Guard));

        // JSON has no infinity: a job that returns one fails with the same typed error as before, in a submit and in a map.
        var error = await Assert.ThrowsAsync<JobSerializationException>(() => pool.SubmitAsync(Reciprocal, 0.0).WaitAsync(PoolTest.Guard));
        Assert.Contains("did not serialize", error.Message, StringComparison.Ordinal);
        var outcomes = await CollectAsync(pool.MapAsync(Reciprocal, [4.0, 0.0, 0.5, 2.0], new MapOptions { ChunkSize = 4 }));
        Assert.Equal([true, false, true, true], outcomes.Select(o => o.IsSuccess));
        Assert.IsType<JobSerializationException>(outcomes[1].Error);
        Assert.Equal([0.25, 2.0, 0.5], outcomes.Where(o => o.IsSuccess).Select(o => o.Value));

        var exact = await CollectAsync(pool.MapAsync(Identity, doubles, new MapOptions { ChunkSize = 3 }));
        Assert.Equal(doubles.Select(BitConverter.DoubleToInt64Bits), exact.Select(o => BitConverter.DoubleToInt64Bits(o.Value)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(null)]
    public async Task A_map_as_completed_returns_every_outcome_once_and_a_failing_item_fails_alone(int? chunk)
    {
        await using var pool = PoolTest.Create(workers: 2);
        var options = new MapOptions { Ordered = false, ChunkSize = chunk };
        var outcomes = await CollectAsync(pool.MapAsync(JobRef.To<PickySquareJob, int, int>(), Enumerable.Range(1, 3000), options));

        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i), outcomes.Select(o => o.Index).Order());
        Assert.All(outcomes, o =>
        {
            Assert.Equal(o.Index + 1, o.Input);
            if (o.Input % 7 == 0)
            {
                Assert.Contains("multiple of 7", Assert.IsType<JobFailedException>(o.Error).Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(o.Input * o.Input, o.Value);
            }
        });
    }

    [Fact]
    public async Task Each_item_of_a_chunk_is_its_own_job_with_its_own_id()
    {
        await using var pool = PoolTest.Create(workers: 1);
        var outcomes = await CollectAsync(pool.MapAsync(JobRef.To<WhoAmIJob, int, string>(), Enumerable.Range(0, 10), new MapOptions { ChunkSize = 5 }));
        var ids = outcomes.Select(o => o.Value).ToList();
        Assert.Equal(10, ids.Distinct().Count());
        Assert.All(ids, id => Assert.EndsWith("@1", id, StringComparison.Ordinal));
        Assert.Equal(["0", "1", "2", "3", "4"], ids.Take(5).Select(id => id[(id.LastIndexOf('.') + 1)..id.IndexOf('@', StringComparison.Ordinal)]));
        Assert.Single(ids.Take(5).Select(id => id[..id.LastIndexOf('.')]).Distinct());
    }

    [Fact]
    public async Task An_input_sequence_that_throws_ends_the_map_after_the_outcomes_before_it()
    {
        await using var pool = PoolTest.Create(workers: 2);
        var seen = new List<long>();
        var error = await Assert.ThrowsAsync<MapInputException>(async () =>
        {
            await foreach (var o in pool.MapAsync(PoolTest.Square, Throwing(), new MapOptions { ChunkSize = 8 }))
            {
                seen.Add(o.Value);
            }
        });
        Assert.Equal(100, error.InputsRead);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i * i), seen);

        var asyncSeen = new List<long>();
        await Assert.ThrowsAsync<MapInputException>(async () =>
        {
            await foreach (var o in pool.MapAsync(PoolTest.Square, ThrowingAsync(), new MapOptions { ChunkSize = 8 }))
            {
                asyncSeen.Add(o.Value);
            }
        });
        Assert.Equal(seen, asyncSeen);

        static IEnumerable<int> Throwing()
        {
            for (var i = 0; i < 100; i++)
            {
                yield return i;
            }

            throw new InvalidOperationException("the source broke");
        }

        static async IAsyncEnumerable<int> ThrowingAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < 100; i++)
            {
                if (i % 10 == 0)
                {
                    await Task.Yield();
                }

                yield return i;
            }

            throw new InvalidOperationException("the source broke");
        }
    }

    [Fact]
    public async Task A_map_cancelled_by_either_token_throws_and_its_queued_and_running_work_is_cancelled()
    {
        // A grace long enough for a cooperative cancel to travel to the worker and back on a loaded machine: the test's
        // 300 ms default stopped a worker whose answer was merely late (seen at load 40), which is not what this checks.
        await using var pool = PoolTest.Create(workers: 2, o => o with { StopGracePeriod = TimeSpan.FromSeconds(30) });
        foreach (var byEnumeration in new[] { false, true })
        {
            using var cancel = new CancellationTokenSource();
            var stream = byEnumeration
                ? pool.MapAsync(PoolTest.Sleep, Enumerable.Repeat(30_000, 50), new MapOptions { ChunkSize = 1 }).WithCancellation(cancel.Token)
                : pool.MapAsync(PoolTest.Sleep, Enumerable.Repeat(30_000, 50), new MapOptions { ChunkSize = 1 }, cancel.Token).WithCancellation(default);
            cancel.CancelAfter(200);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var o in stream)
                {
                    Assert.Fail($"no sleep of 30 s finishes: {o}");
                }
            }).WaitAsync(PoolTest.Guard);
        }

        // The sleeping jobs were cancelled in their workers (cooperatively): the same workers serve at once.
        var pids = pool.WorkerPids;
        var served = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        Assert.Contains(served, pids);
    }

    [Fact]
    public async Task Leaving_a_map_early_cancels_the_rest_and_a_drain_then_finishes_at_once()
    {
        await using var pool = PoolTest.Create(workers: 2);
        await foreach (var o in pool.MapAsync(PoolTest.Sleep, new[] { 0 }.Concat(Enumerable.Repeat(30_000, 20)), new MapOptions { ChunkSize = 1 }))
        {
            Assert.Equal(0, o.Value);
            break;
        }

        await pool.ShutdownAsync(ShutdownMode.Drain).WaitAsync(PoolTest.Guard);
    }

    [Fact]
    public async Task A_worker_that_crashes_reading_a_chunk_sends_its_items_one_by_one_and_only_the_bad_input_fails()
    {
        await using var pool = PoolTest.Create(workers: 2);
        var trap = JobRef.To<TrapJob, Trap, Trap>();
        Trap[] inputs = [new("ok"), new("ok"), new("crash-read-worker"), new("ok"), new("ok")];
        // A second attempt for the bystanders: run one by one in a batch, one may lose a result not yet sent when the
        // bad input crashes the worker after it (that is a crash's cost, as documented).
        var options = new MapOptions { ChunkSize = 5, Job = new JobOptions { Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero } } };
        var outcomes = await CollectAsync(pool.MapAsync(trap, inputs, options));

        Assert.Equal([true, true, false, true, true], outcomes.Select(o => o.IsSuccess));
        Assert.True(Assert.IsType<WorkerCrashedException>(outcomes[2].Error).WasRunning);
    }

    [Fact]
    public async Task An_item_that_times_out_fails_alone_and_the_items_after_it_in_its_chunk_run_elsewhere()
    {
        await using var pool = PoolTest.Create(workers: 2);
        await PoolTest.WaitForReadyAsync(pool, 2);
        // 1 s: long enough that the quick items never time out on a loaded machine, far below the slow item's 30 s.
        var options = new MapOptions { ChunkSize = 5, Job = new JobOptions { Timeout = TimeSpan.FromSeconds(1) } };
        var outcomes = await CollectAsync(pool.MapAsync(PoolTest.Sleep, [0, 1, 30_000, 2, 3], options));

        Assert.IsType<JobTimeoutException>(outcomes[2].Error);
        Assert.Equal([0, 1, 2, 3], outcomes.Where(o => o.IsSuccess).Select(o => o.Value));
    }

    private static async Task<List<JobOutcome<TIn, TOut>>> CollectAsync<TIn, TOut>(IAsyncEnumerable<JobOutcome<TIn, TOut>> outcomes)
    {
        var list = new List<JobOutcome<TIn, TOut>>();
        await foreach (var o in outcomes.WithCancellation(new CancellationTokenSource(PoolTest.Guard).Token))
        {
            list.Add(o);
        }

        return list;
    }
}
