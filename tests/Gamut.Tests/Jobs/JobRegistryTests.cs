using Gamut.Jobs;

namespace Gamut.Tests.Jobs;

[Job("registry.upper")]
public sealed class UpperJob : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) => ValueTask.FromResult(input.ToUpperInvariant());
}

[Job("registry.maybe")]
public sealed class MaybeJob : IJob<string?, int>
{
    public ValueTask<int> RunAsync(string? input, JobContext context) => ValueTask.FromResult(input?.Length ?? -1);
}

public sealed class GenericJob<T> : IJob<T, T>
{
    public ValueTask<T> RunAsync(T input, JobContext context) => ValueTask.FromResult(input);
}

public sealed class TwoFacedJob : IJob<int, int>, IJob<string, string>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input);

    public ValueTask<string> RunAsync(string input, JobContext context) => ValueTask.FromResult(input);
}

public sealed class JobRegistryTests
{
    [Fact]
    public void An_assembly_scan_registers_every_job_marked_with_a_name()
    {
        var registry = new JobRegistry().AddAssembly(typeof(UpperJob).Assembly);

        Assert.True(registry.Contains("registry.upper"));
        Assert.True(registry.Contains("registry.maybe"));
        Assert.Equal(typeof(UpperJob), registry.Get("registry.upper").JobType);
        Assert.Contains(typeof(UpperJob).Assembly, registry.Assemblies);
    }

    [Fact]
    public void A_duplicate_name_is_an_error_that_names_both_types()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>();

        var error = Assert.Throws<JobRegistrationException>(() => registry.Add<MaybeJob, string?, int>("registry.upper"));

        Assert.Contains(nameof(UpperJob), error.Message);
        Assert.Contains(nameof(MaybeJob), error.Message);
        Assert.Equal(typeof(UpperJob), registry.Get("registry.upper").JobType);
    }

    [Fact]
    public void Registering_by_hand_takes_a_name_and_a_factory()
    {
        var made = 0;
        var registry = new JobRegistry().Add<UpperJob, string, string>(() => { made++; return new UpperJob(); }, "text.upper");

        var job = registry.Get("text.upper").Create<string, string>();

        Assert.Equal(1, made);
        Assert.IsType<UpperJob>(job);
    }

    [Fact]
    public void An_unknown_name_is_refused_and_nothing_is_resolved_by_reflection()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>();

        var error = Assert.Throws<UnknownJobException>(() => registry.Get("System.IO.File"));

        Assert.Equal("System.IO.File", error.Name);
        Assert.False(registry.TryGet(typeof(UpperJob).FullName!, out _));
    }

    [Fact]
    public void Asking_for_a_job_with_the_wrong_types_is_a_typed_error()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>();
        Assert.Throws<JobRegistrationException>(() => registry.Get("registry.upper").Create<int, string>());
    }

    [Fact]
    public void A_type_whose_default_name_is_not_valid_must_be_given_one()
    {
        var registry = new JobRegistry();

        var error = Assert.Throws<JobRegistrationException>(() => registry.Add<GenericJob<int>, int, int>());
        registry.Add<GenericJob<int>, int, int>("generic.int");

        Assert.Contains("[Job(", error.Message);
        Assert.True(registry.Contains("generic.int"));
    }

    [Fact]
    public void A_type_that_is_not_exactly_one_job_is_refused()
    {
        Assert.Throws<JobRegistrationException>(() => new JobRegistry().Add(typeof(TwoFacedJob), "two"));
        Assert.Throws<JobRegistrationException>(() => new JobRegistry().Add(typeof(string), "s"));
        Assert.Throws<JobRegistrationException>(() => new JobRegistry().Add(typeof(UpperJob), "bad name"));
    }

    [Fact]
    public void Whether_a_job_takes_null_is_read_from_its_annotations()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>().Add<MaybeJob, string?, int>().Add<GenericJob<int?>, int?, int?>("g.nullable").Add<GenericJob<int>, int, int>("g.int");

        Assert.False(registry.Get("registry.upper").AcceptsNullInput);
        Assert.True(registry.Get("registry.maybe").AcceptsNullInput);
        Assert.True(registry.Get("g.nullable").AcceptsNullInput);
        Assert.False(registry.Get("g.int").AcceptsNullInput);
    }

    [Fact]
    public async Task A_worker_side_invocation_refuses_a_null_payload_for_a_job_that_takes_no_null()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>().Add<MaybeJob, string?, int>();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var context = new JobContext("id1", "registry.upper");

        await Assert.ThrowsAsync<JobSerializationException>(() => registry.Get("registry.upper").InvokeAsync("null"u8.ToArray(), JsonJobSerializer.Default, context, output).AsTask());
        await registry.Get("registry.maybe").InvokeAsync("null"u8.ToArray(), JsonJobSerializer.Default, context, output);
        await registry.Get("registry.upper").InvokeAsync("\"abc\""u8.ToArray(), JsonJobSerializer.Default, context, output);

        Assert.Equal("-1\"ABC\"", System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public async Task A_worker_side_invocation_names_the_job_when_the_payload_does_not_fit_its_input()
    {
        var registry = new JobRegistry().Add<UpperJob, string, string>();

        var error = await Assert.ThrowsAsync<JobSerializationException>(() =>
            registry.Get("registry.upper").InvokeAsync("{\"a\":1}"u8.ToArray(), JsonJobSerializer.Default, new JobContext("i", "n"), new System.Buffers.ArrayBufferWriter<byte>()).AsTask());

        Assert.Contains("registry.upper", error.Message);
    }

    [Fact]
    public void Job_ids_are_valid_time_ordered_and_distinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => JobIds.New()).ToList();

        Assert.All(ids, id => Assert.True(JobIds.IsValid(id) && id.Length == 26));
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.True(string.CompareOrdinal(ids[0][..10], ids[^1][..10]) <= 0);
    }

    [Fact]
    public void A_context_made_by_hand_reports_progress_and_checks_its_fraction()
    {
        var reports = new List<JobProgress>();
        var context = new JobContext("id7", "n", progress: new SyncProgress(reports.Add));

        context.ReportProgress(0.5, "half");

        Assert.Equal(new JobProgress("id7", 0.5, "half"), Assert.Single(reports));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.ReportProgress(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.ReportProgress(double.NaN));
    }

    [Fact]
    public void The_default_serializer_reads_gamut_types_from_generated_metadata_and_refuses_what_it_cannot_write()
    {
        var error = new JobError("System.IO.IOException", "disk full", "at X");
        var json = JsonJobSerializer.Default.SerializeToArray(error);

        Assert.Equal("""{"type":"System.IO.IOException","message":"disk full","stack":"at X"}""", System.Text.Encoding.UTF8.GetString(json));
        Assert.Equal(error, JsonJobSerializer.Default.Deserialize<JobError>(json));
        Assert.Throws<JobSerializationException>(() => JsonJobSerializer.Default.SerializeToArray(double.NaN));
        var cycle = new Node();
        cycle.Next = cycle;
        Assert.Throws<JobSerializationException>(() => JsonJobSerializer.Default.SerializeToArray(cycle));
    }

    internal sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }

    public sealed class Node
    {
        public Node? Next { get; set; }
    }
}
