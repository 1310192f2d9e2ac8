using System.Diagnostics;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>
/// One trace from a producer to the job, with OpenTelemetry's SDK and in-memory exporter: in-process (Threads) and
/// through Redis to a worker in another process and back.
/// </summary>
[Collection(TraceCollection.Name)]
public sealed class TraceTests
{
    private static readonly ActivitySource Caller = new("Gamut.Hosting.Tests.Caller");

    [Fact]
    public async Task A_Threads_job_span_is_the_child_of_the_submit_span_which_is_the_child_of_the_callers_span()
    {
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(GamutTelemetry.Name, Caller.Name).AddInMemoryExporter(spans).Build())
        {
            var registry = new JobRegistry().Add<TracedEcho, string, string>();
            await using var threads = Gamut.Executors.Executors.Threads(2, registry);
            using (Caller.StartActivity("request"))
            {
                Assert.EndsWith("@" + Activity.Current!.TraceId, await threads.SubmitAsync(JobRef.To<TracedEcho, string, string>(), "x"), StringComparison.Ordinal);
            }
        }

        var request = Assert.Single(spans, s => s.DisplayName == "request");
        var send = Assert.Single(spans, s => s.Kind == ActivityKind.Producer);
        var job = Assert.Single(spans, s => s.DisplayName == "gamut.job");
        Assert.Equal(request.SpanId, send.ParentSpanId);
        Assert.Equal(send.SpanId, job.ParentSpanId);
        Assert.All(spans, s => Assert.Equal(request.TraceId, s.TraceId));
        Assert.Equal("trace.echo", job.GetTagItem("gamut.job"));
    }

    [Fact]
    public async Task A_retried_jobs_span_links_to_the_span_of_the_attempt_before_it()
    {
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(GamutTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            await using var threads = Gamut.Executors.Executors.Threads(2, new JobRegistry().Add<FailsOnce, int, int>());
            Assert.Equal(5, await threads.SubmitAsync(JobRef.To<FailsOnce, int, int>(), 5, new JobOptions { Retry = RetryPolicy.Attempts(2) }));
        }

        var attempts = spans.Where(s => s.DisplayName == "gamut.job").OrderBy(s => (int)s.GetTagItem("gamut.job.attempt")!).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
        Assert.Empty(attempts[0].Links);
        var link = Assert.Single(attempts[1].Links);
        Assert.Equal(attempts[0].SpanId, link.Context.SpanId);
        Assert.Equal(attempts[0].TraceId, link.Context.TraceId);
    }

    [Fact]
    public async Task A_Redis_retrys_process_span_links_to_the_span_of_the_attempt_before_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = RedisOptions.FromUrl(redis.Url).WithKeyPrefix("tl" + Guid.NewGuid().ToString("N")[..8]);
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(GamutTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = new JobRegistry().Add<FailsOnce, int, int>(), Concurrency = 1 });
            await using var client = await RedisExecutor.ConnectAsync(options);
            var retry = new JobOptions { Retry = RetryPolicy.Attempts(3) with { InitialDelay = TimeSpan.Zero } };
            Assert.Equal(5, await client.SubmitAsync(JobRef.To<FailsOnce, int, int>(), 5, retry).WaitAsync(TestOptions.Guard));
            await worker.StopAsync();
        }

        var attempts = spans.Where(s => s.Kind == ActivityKind.Consumer).OrderBy(s => (int)s.GetTagItem("gamut.job.attempt")!).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("retry", attempts[0].GetTagItem("gamut.job.outcome"));
        Assert.Empty(attempts[0].Links);
        var link = Assert.Single(attempts[1].Links);
        Assert.Equal(attempts[0].SpanId, link.Context.SpanId);
        Assert.Equal(attempts[0].TraceId, link.Context.TraceId);

        // Both attempts are children of the one enqueue's send span.
        var send = Assert.Single(spans, s => s.DisplayName == "send default");
        Assert.All(attempts, a => Assert.Equal(send.SpanId, a.ParentSpanId));
    }

    [Fact]
    public async Task One_trace_goes_from_a_producer_through_Redis_to_a_worker_in_another_process_and_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = "tr" + Guid.NewGuid().ToString("N")[..8];
        using var worker = Process.Start(new ProcessStartInfo(Infrastructure.Repo.Dotnet)
        {
            ArgumentList = { typeof(Program).Assembly.Location, "trace-worker", redis.Url, prefix },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stderr = worker.StandardError.ReadToEndAsync();
        try
        {
            Assert.Equal("ready", await worker.StandardOutput.ReadLineAsync().WaitAsync(TestOptions.Guard));

            var spans = new List<Activity>();
            string result;
            using (Sdk.CreateTracerProviderBuilder().AddSource(GamutTelemetry.Name, Caller.Name).AddInMemoryExporter(spans).Build())
            {
                await using var client = await RedisExecutor.ConnectAsync(RedisOptions.FromUrl(redis.Url).WithKeyPrefix(prefix));
                using (Caller.StartActivity("request"))
                {
                    result = await client.SubmitAsync(JobRef.To<TracedEcho, string, string>(), "hello").WaitAsync(TestOptions.Guard);
                }
            }

            await worker.StandardInput.WriteLineAsync("dump");
            worker.StandardInput.Close();
            var lines = (await worker.StandardOutput.ReadToEndAsync().WaitAsync(TestOptions.Guard))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            await worker.WaitForExitAsync().WaitAsync(TestOptions.Guard);
            Assert.True(worker.ExitCode == 0, $"the worker exited with {worker.ExitCode}: {await stderr}");

            // Here: the caller's span and the enqueue's producer span, its child.
            var request = Assert.Single(spans, s => s.DisplayName == "request");
            var send = Assert.Single(spans, s => s.Kind == ActivityKind.Producer);
            Assert.Equal(request.SpanId, send.ParentSpanId);
            Assert.Equal(request.TraceId, send.TraceId);
            Assert.Equal("gamut.redis", send.GetTagItem("messaging.system"));
            Assert.Equal("default", send.GetTagItem("messaging.destination.name"));

            // There: the worker's consumer span, child of the producer span, and the job's span within it.
            var remote = lines.Where(l => l.StartsWith("span ", StringComparison.Ordinal)).Select(l => l.Split(' ', 6)).ToList();
            var process = Assert.Single(remote, r => r[4] == nameof(ActivityKind.Consumer));
            Assert.Equal(request.TraceId.ToString(), process[1]);
            Assert.Equal(send.SpanId.ToString(), process[3]);
            Assert.Equal("process default", process[5]);
            Assert.Contains(remote, r => r[5] == "gamut.job" && r[1] == process[1]);

            // And back: the job ran in that trace, and its result came home.
            Assert.Equal($"hello@{request.TraceId}", result);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }
        }
    }
}

/// <summary>Trace tests listen to the process-wide "Gamut" source: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TraceCollection
{
    public const string Name = "traces";
}
