using System.Collections.Immutable;
using Gamut.Processes.Internal;

namespace Gamut.Processes;

/// <summary>
/// Commands connected stdout to stdin, <c>a | b | c</c>, child to child through pipes (the parent does not
/// copy the data). Immutable; build one with <c>commandA | commandB</c>.
/// </summary>
/// <remarks>
/// Each stage runs in its own process group and keeps its own settings (timeout, environment, stderr
/// target); the first stage's stdin and the last stage's stdout are the pipeline's. If a stage fails to
/// start, the stages already started are killed and the start error is raised.
/// </remarks>
public sealed class Pipeline
{
    private readonly ImmutableArray<Command> _stages;

    private Pipeline(ImmutableArray<Command> stages, bool pipeFail)
    {
        _stages = stages;
        PipeFail = pipeFail;
    }

    /// <summary>The stages, left to right.</summary>
    public IReadOnlyList<Command> Stages => _stages;

    /// <summary>
    /// Whether the pipeline's exit status is that of the rightmost stage that failed (bash's <c>set -o pipefail</c>),
    /// rather than the last stage's (default false).
    /// </summary>
    public bool PipeFail { get; }

    /// <summary>A pipeline of <paramref name="stages"/> (at least two).</summary>
    /// <param name="stages">The commands, left to right.</param>
    public static Pipeline Of(params IEnumerable<Command> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var list = stages.ToImmutableArray();
        if (list.Length < 2 || list.Any(s => s is null))
        {
            throw new ArgumentException("A pipeline needs at least two commands, none null.", nameof(stages));
        }

        return new Pipeline(list, pipeFail: false);
    }

    /// <summary>The same pipeline with <paramref name="right"/> appended.</summary>
    /// <param name="left">The pipeline.</param>
    /// <param name="right">The next stage.</param>
    public static Pipeline operator |(Pipeline left, Command right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new Pipeline(left._stages.Add(right), left.PipeFail);
    }

    /// <summary>The same pipeline with pipefail on or off.</summary>
    /// <param name="value">Whether any failing stage fails the pipeline.</param>
    public Pipeline WithPipeFail(bool value = true) => new(_stages, value);

    /// <summary>
    /// Runs every stage to completion. The pipeline's status is the last stage's (or, with
    /// <see cref="PipeFail"/>, the rightmost failing stage's); if non-zero and that stage throws on non-zero
    /// exits, <see cref="CommandExitException"/> is raised for it. A stage's timeout or output limit raises as
    /// for a single command.
    /// </summary>
    /// <param name="cancellationToken">Stops every stage.</param>
    public async Task<PipelineResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var stages = StageRunner.StartStages(_stages, forRun: true, cancellationToken);
        var results = new CommandResult[stages.Length];
        for (var i = 0; i < stages.Length; i++)
        {
            results[i] = await stages[i].Completion.ConfigureAwait(false);
        }

        var result = new PipelineResult(results, PipeFail);
        for (var i = 0; i < stages.Length; i++)
        {
            if (results[i].StopReason is not (CommandStopReason.None or CommandStopReason.Requested))
            {
                stages[i].ThrowIfFailedFor(results[i]);
            }
        }

        var decisive = result.DecisiveStage;
        if (!results[decisive].ExitStatus.IsSuccess && _stages[decisive].ThrowOnNonZeroExit)
        {
            throw new CommandExitException(results[decisive]);
        }

        return result;
    }

    /// <summary>The stages joined with " | ", shell-quoted (for display only).</summary>
    public override string ToString() => string.Join(" | ", _stages);
}
