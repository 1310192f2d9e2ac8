using Gamut.Jobs;

namespace Gamut.Dashboard.Tests.Infrastructure;

/// <summary>Fails while the file named by its input does not exist, then returns "ok": a job an operator can fix and retry.</summary>
[Job("dash.needs-file")]
public sealed class NeedsFileJob : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) =>
        File.Exists(input) ? ValueTask.FromResult("ok") : throw new FileNotFoundException($"the file {input} is not there yet", input);
}

/// <summary>Returns its input.</summary>
[Job("dash.echo")]
public sealed class EchoJob : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) => ValueTask.FromResult(input);
}
