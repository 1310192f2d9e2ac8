using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Tests.Executors;

public sealed class MapTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Kinds => InProcessExecutorTests.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unordered_map_yields_every_outcome_once(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);

        var indexes = new List<long>();
        await foreach (var outcome in executor.MapAsync(async (int x, JobContext _) =>
        {
            await Task.Yield();
            return x * 2;
        }, Enumerable.Range(0, 300), new MapOptions { Ordered = false }))
        {
            Assert.Equal(outcome.Input * 2, outcome.Value);
            indexes.Add(outcome.Index);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), indexes.Order());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_map_never_has_more_than_its_window_submitted_and_unconsumed(bool ordered)
    {
        await using var executor = Gamut.Executors.Executors.Threads(8);
        var pulled = 0;
        var consumed = 0;
        var worst = 0;

        await foreach (var outcome in executor.MapAsync((int x, JobContext _) => ValueTask.FromResult(x), Inputs(), new MapOptions { MaxInFlight = 5, Ordered = ordered }))
        {
            consumed++;
            await Task.Yield();
        }

        Assert.Equal(100, consumed);
        Assert.True(worst <= 5, $"{worst} inputs were pulled ahead of the consumer");

        IEnumerable<int> Inputs()
        {
            for (var i = 0; i < 100; i++)
            {
                pulled++;
                worst = Math.Max(worst, pulled - consumed);
                yield return i;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Failures_in_a_map_are_outcomes_and_the_rest_go_on(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);

        var outcomes = new List<JobOutcome<int, int>>();
        await foreach (var outcome in executor.MapAsync((int x, JobContext _) => x % 3 == 0 ? throw new FormatException($"bad {x}") : ValueTask.FromResult(x), Enumerable.Range(0, 9)))
        {
            outcomes.Add(outcome);
        }

        Assert.Equal(9, outcomes.Count);
        Assert.Equal([0, 3, 6], outcomes.Where(o => !o.IsSuccess).Select(o => o.Input));
        Assert.All(outcomes.Where(o => !o.IsSuccess), o => Assert.Equal(typeof(FormatException).FullName, Assert.IsType<JobFailedException>(o.Error).RemoteType));
        Assert.Throws<JobFailedException>(() => outcomes[0].Value);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Stopping_a_map_early_cancels_the_jobs_still_running(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        var cancelled = 0;
        var started = 0;

        await foreach (var outcome in executor.MapAsync(async (int x, JobContext ctx) =>
        {
            if (x == 0)
            {
                return 0;
            }

            Interlocked.Increment(ref started);
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return x;
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
        }, Enumerable.Range(0, 4), new MapOptions { MaxInFlight = 4 }).WithCancellation(CancellationToken.None))
        {
            Assert.Equal(0, outcome.Value);
            break;
        }

        // Every job that started sees its token cancelled (the rest never start); none outlives the map.
        await ThreadsExecutorTests.WaitUntil(() => Volatile.Read(ref cancelled) == Volatile.Read(ref started));
        Assert.Equal(0, executor.ActiveJobs);
    }

    [Fact]
    public async Task Cancelling_a_map_ends_it_with_a_cancellation()
    {
        await using var executor = Gamut.Executors.Executors.Threads(2);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var outcome in executor.MapAsync((int x, JobContext _) => ValueTask.FromResult(x), Enumerable.Range(0, 1_000_000), cancellationToken: cts.Token))
            {
                if (outcome.Index == 10)
                {
                    await cts.CancelAsync();
                }
            }
        }).WaitAsync(HangGuard);
        Assert.Equal(3, await executor.SubmitAsync(() => 3));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_map_over_a_registered_job_refuses_nulls_per_input(string kind)
    {
        await using var executor = InProcessExecutorTests.Create(kind);
        var job = JobRef.To<ThrowingJob, string, int>();

        var errors = new List<Exception?>();
        await foreach (var outcome in executor.MapAsync(job, new[] { null!, "x" }))
        {
            errors.Add(outcome.Error);
        }

        Assert.IsType<ArgumentNullException>(errors[0]);
        Assert.IsType<JobFailedException>(errors[1]);
    }
}
