using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Tests.Executors;

public sealed class SerializationCheckTests
{
    private static readonly JobRegistry Registry = new JobRegistry()
        .Add<Rename, Box, Box>("check.rename")
        .Add<Ratio, int, double>("check.ratio");

    [Fact]
    public async Task An_input_that_would_not_cross_a_process_boundary_is_refused_by_the_checking_inline_executor()
    {
        await using var executor = Gamut.Executors.Executors.InlineCheckingSerialization(Registry);
        var cyclic = new Box { Name = "a" };
        cyclic.Next = cyclic;

        var error = await Assert.ThrowsAsync<JobSerializationException>(() => executor.SubmitAsync(JobRef.Named<Box, Box>("check.rename"), cyclic));

        Assert.Contains("check.rename", error.Message);
        Assert.Equal("b!", (await executor.SubmitAsync(JobRef.Named<Box, Box>("check.rename"), new Box { Name = "b" })).Name);
    }

    [Fact]
    public async Task An_output_that_would_not_cross_fails_the_job_as_a_worker_would_report_it()
    {
        await using var executor = Gamut.Executors.Executors.InlineCheckingSerialization(Registry);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => executor.SubmitAsync(JobRef.Named<int, double>("check.ratio"), 0));

        Assert.Equal(typeof(JobSerializationException).FullName, error.RemoteType);
        Assert.Equal(0.5, await executor.SubmitAsync(JobRef.Named<int, double>("check.ratio"), 2));
    }

    [Fact]
    public async Task The_job_gets_a_copy_so_sharing_memory_with_the_caller_shows_up_in_tests()
    {
        var box = new Box { Name = "mine" };
        await using var checking = Gamut.Executors.Executors.InlineCheckingSerialization(Registry);
        await using var plain = Gamut.Executors.Executors.Inline(Registry);

        await checking.SubmitAsync(JobRef.Named<Box, Box>("check.rename"), box);
        Assert.Equal("mine", box.Name);
        await plain.SubmitAsync(JobRef.Named<Box, Box>("check.rename"), box);
        Assert.Equal("mine!", box.Name);
    }

    public sealed class Box
    {
        public string Name { get; set; } = "";

        public Box? Next { get; set; }
    }

    private sealed class Rename : IJob<Box, Box>
    {
        public ValueTask<Box> RunAsync(Box input, JobContext context)
        {
            input.Name += "!";
            return ValueTask.FromResult(input);
        }
    }

    private sealed class Ratio : IJob<int, double>
    {
        public ValueTask<double> RunAsync(int input, JobContext context) => ValueTask.FromResult(1.0 / input);
    }
}
