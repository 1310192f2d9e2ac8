using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Loop;

namespace Gamut.Tests.Executors;

[Job("test.square")]
public sealed class SquareJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}

[Job("test.throws")]
public sealed class ThrowingJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context) => throw new InvalidOperationException(input);
}

public sealed class InProcessExecutorTests
{
    private static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    private static readonly JobRef<string, int> Throws = JobRef.To<ThrowingJob, string, int>();

    public static TheoryData<string> Kinds => new() { "inline", "threads", "dedicated", "loop" };

    internal static InProcessExecutor Create(string kind)
    {
        var registry = new JobRegistry().AddAssembly(typeof(SquareJob).Assembly);
        return kind switch
        {
            "inline" => Gamut.Executors.Executors.Inline(registry),
            "threads" => Gamut.Executors.Executors.Threads(4, registry),
            "dedicated" => Gamut.Executors.Executors.DedicatedThreads(2, registry),
            _ => new EventLoop(new EventLoopOptions { Registry = registry }),
        };
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_registered_job_runs_and_returns_its_result(string kind)
    {
        await using var executor = Create(kind);
        Assert.Equal(49, await executor.SubmitAsync(Square, 7));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_throws_fails_with_the_original_type_and_message_and_the_executor_stays_usable(string kind)
    {
        await using var executor = Create(kind);
        var error = await Assert.ThrowsAsync<JobFailedException>(() => executor.SubmitAsync(Throws, "boom"));
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal("boom", error.Error.Message);
        Assert.Contains(nameof(ThrowingJob), error.RemoteStackTrace);
        Assert.Equal(9, await executor.SubmitAsync(Square, 3));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unregistered_name_is_refused(string kind)
    {
        await using var executor = Create(kind);
        var error = await Assert.ThrowsAsync<UnknownJobException>(() => executor.SubmitAsync(JobRef.Named<int, int>("System.Diagnostics.Process"), 1));
        Assert.Equal("System.Diagnostics.Process", error.Name);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Map_yields_every_outcome_in_input_order(string kind)
    {
        await using var executor = Create(kind);
        var results = new List<int>();
        await foreach (var value in executor.MapAsync(Square, Enumerable.Range(0, 200)).Values())
        {
            results.Add(value);
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), results);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Map_over_a_sequence_that_throws_midway_yields_what_was_read_then_a_typed_error(string kind)
    {
        await using var executor = Create(kind);
        var seen = new List<long>();
        var error = await Assert.ThrowsAsync<MapInputException>(async () =>
        {
            await foreach (var outcome in executor.MapAsync(Square, Broken()))
            {
                seen.Add(outcome.Index);
            }
        });
        Assert.Equal(3, error.InputsRead);
        Assert.Equal([0, 1, 2], seen);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Equal(16, await executor.SubmitAsync(Square, 4));

        static IEnumerable<int> Broken()
        {
            yield return 1;
            yield return 2;
            yield return 3;
            throw new IOException("disk gone");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Submit_after_shutdown_is_refused_with_a_typed_error(string kind)
    {
        var executor = Create(kind);
        await executor.ShutdownAsync();
        await Assert.ThrowsAsync<ExecutorClosedException>(() => executor.SubmitAsync(Square, 2));
        await executor.ShutdownAsync();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_null_input_to_a_job_that_takes_none_is_refused_before_it_runs_and_the_executor_stays_usable(string kind)
    {
        await using var executor = Create(kind);

        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => executor.SubmitAsync(Throws, null!));

        Assert.Contains("test.throws", error.Message);
        Assert.Equal(4, await executor.SubmitAsync(Square, 2));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_delegate_gets_a_context_with_an_id_a_name_and_the_first_attempt(string kind)
    {
        await using var executor = Create(kind);

        var (id, name, attempt) = await executor.SubmitAsync(ctx => ValueTask.FromResult((ctx.JobId, ctx.JobName, ctx.Attempt)));
        var given = await executor.SubmitAsync(ctx => ValueTask.FromResult(ctx.JobId), new JobOptions { Id = "my-id.1" });

        Assert.True(JobIds.IsValid(id));
        Assert.Equal("delegate", name);
        Assert.Equal(1, attempt);
        Assert.Equal("my-id.1", given);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Progress_reports_reach_the_callers_reporter(string kind)
    {
        await using var executor = Create(kind);
        var reports = new System.Collections.Concurrent.ConcurrentQueue<JobProgress>();

        await executor.SubmitAsync(
            ctx =>
            {
                ctx.ReportProgress(0.25, "a quarter");
                ctx.ReportProgress(1);
                return ValueTask.FromResult(0);
            },
            new JobOptions { Progress = new Gamut.Tests.Jobs.JobRegistryTests.SyncProgress(reports.Enqueue) });

        Assert.Equal([0.25, 1.0], reports.Select(r => r.Fraction!.Value));
        Assert.Equal("a quarter", reports.First().Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_fails_twice_then_succeeds_is_retried_with_the_same_id(string kind)
    {
        await using var executor = Create(kind);
        var attempts = new List<(int Attempt, string Id)>();

        var result = await executor.SubmitAsync(
            ctx =>
            {
                lock (attempts)
                {
                    attempts.Add((ctx.Attempt, ctx.JobId));
                }

                return ctx.Attempt < 3 ? throw new TimeoutException("flaky") : ValueTask.FromResult("ok");
            },
            new JobOptions { Retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.FromMilliseconds(1) } });

        Assert.Equal("ok", result);
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Attempt));
        Assert.Single(attempts.Select(a => a.Id).Distinct());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_job_that_always_fails_reports_how_many_attempts_ran(string kind)
    {
        await using var executor = Create(kind);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => executor.SubmitAsync(Throws, "again", new JobOptions { Retry = RetryPolicy.Attempts(2) with { InitialDelay = TimeSpan.Zero } }));

        Assert.Equal(2, error.Attempts);
        Assert.Contains("after 2 attempts", error.Message);
    }
}
