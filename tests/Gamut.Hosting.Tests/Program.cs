using System.Diagnostics;
using Gamut.Hosting.Tests.Telemetry;
using Gamut.Jobs;
using Gamut.Redis;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gamut.Hosting.Tests;

/// <summary>
/// The test assembly doubles as a Redis worker in another process for the trace test:
/// <c>dotnet Gamut.Hosting.Tests.dll trace-worker URL PREFIX</c>. It exports Gamut's spans with OpenTelemetry's
/// in-memory exporter, prints <c>ready</c>, serves jobs until its stdin closes or says <c>dump</c>, then stops and
/// prints every span it recorded as <c>span TRACE SPAN PARENT KIND NAME</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["trace-worker", var url, var prefix])
        {
            Console.Error.WriteLine("usage: Gamut.Hosting.Tests trace-worker URL PREFIX");
            return 2;
        }

        var spans = new List<Activity>();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSource(GamutTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            var registry = new JobRegistry().Add<TracedEcho, string, string>();
            var worker = await RedisWorker.StartAsync(RedisOptions.FromUrl(url).WithKeyPrefix(prefix), new RedisWorkerOptions { Registry = registry, Concurrency = 1 });
            Console.WriteLine("ready");
            while (Console.ReadLine() is { } line && line != "dump")
            {
            }

            await worker.StopAsync();
            await worker.DisposeAsync();
            tracing.ForceFlush();
        }

        foreach (var s in spans)
        {
            Console.WriteLine($"span {s.TraceId} {s.SpanId} {s.ParentSpanId} {s.Kind} {s.DisplayName}");
        }

        return 0;
    }
}
