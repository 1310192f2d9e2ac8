using Gamut.Executors;
using Gamut.Jobs;

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

    public static TheoryData<string> Kinds => new() { "inline", "threads", "dedicated" };

    private static InProcessExecutor Create(string kind)
    {
        var registry = new JobRegistry().AddAssembly(typeof(SquareJob).Assembly);
        return kind switch
        {
            "inline" => Gamut.Executors.Executors.Inline(registry),
            "threads" => Gamut.Executors.Executors.Threads(4, registry),
            _ => Gamut.Executors.Executors.DedicatedThreads(2, registry),
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

    [Fact]
    public async Task Map_over_a_sequence_that_throws_midway_yields_what_was_read_then_a_typed_error()
    {
        await using var executor = Create("threads");
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
        Assert.Equal(16, await executor.SubmitAsync(Square, 4));

        static IEnumerable<int> Broken()
        {
            yield return 1;
            yield return 2;
            yield return 3;
            throw new IOException("disk gone");
        }
    }

    [Fact]
    public async Task Submit_after_shutdown_is_refused_with_a_typed_error()
    {
        var executor = Create("threads");
        await executor.ShutdownAsync();
        await Assert.ThrowsAsync<ExecutorClosedException>(() => executor.SubmitAsync(Square, 2));
        await executor.ShutdownAsync();
    }
}
