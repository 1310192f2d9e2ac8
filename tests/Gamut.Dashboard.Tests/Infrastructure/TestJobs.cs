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

/// <summary>
/// Fails its first two attempts with a message that holds markup (<c>&lt;script&gt;</c>), then returns "ok": a job
/// whose page shows three attempts, each error as text.
/// </summary>
[Job("dash.twice-then-ok")]
public sealed class TwiceThenOkJob : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) =>
        context.Attempt < 3
            ? throw new InvalidOperationException($"attempt {context.Attempt} <script>window.gamutOwned={context.Attempt}</script><b id=\"injected{context.Attempt}\">{input}</b>")
            : ValueTask.FromResult("ok");
}
