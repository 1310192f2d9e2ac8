using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>One attempt of one job, as the front end hands it to a backend.</summary>
/// <param name="Spec">The command: what <c>gamut.command</c> runs, wherever it runs.</param>
/// <param name="CommandLine">The command line as the shell reads it, for messages and displays.</param>
/// <param name="Seq">The job's sequence number (<c>{#}</c>).</param>
/// <param name="Slot">The job slot (<c>{%}</c>).</param>
/// <param name="Routing">Where its output goes while it runs.</param>
/// <param name="Listener">Receives streamed output when <paramref name="Routing"/> is <see cref="OutputRouting.Stream"/>.</param>
/// <param name="Program">Where the spec's program was found on PATH, when it runs without a shell (a local run skips the search).</param>
internal sealed record JobRequest(CommandSpec Spec, string CommandLine, long Seq, int Slot, OutputRouting Routing, IJobOutputListener? Listener, string? Program = null);
