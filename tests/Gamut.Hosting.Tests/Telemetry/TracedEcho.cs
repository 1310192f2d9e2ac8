using System.Diagnostics;
using Gamut.Jobs;

namespace Gamut.Hosting.Tests.Telemetry;

/// <summary>Returns its input and the trace it ran in (<c>input@traceId</c>), as the job saw <see cref="Activity.Current"/>.</summary>
[Job("trace.echo")]
public sealed class TracedEcho : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) =>
        ValueTask.FromResult($"{input}@{Activity.Current?.TraceId.ToString() ?? "none"}");
}
