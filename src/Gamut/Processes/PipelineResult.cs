namespace Gamut.Processes;

/// <summary>How every stage of a <see cref="Pipeline"/> ended, and the pipeline's own status.</summary>
public sealed class PipelineResult
{
    internal PipelineResult(IReadOnlyList<CommandResult> stages, bool pipeFail)
    {
        Stages = stages;
        PipeFail = pipeFail;
        DecisiveStage = stages.Count - 1;
        if (pipeFail)
        {
            for (var i = stages.Count - 1; i >= 0; i--)
            {
                if (!stages[i].ExitStatus.IsSuccess)
                {
                    DecisiveStage = i;
                    break;
                }
            }
        }
    }

    /// <summary>Each stage's result, left to right (the exit status of every stage, as bash's PIPESTATUS).</summary>
    public IReadOnlyList<CommandResult> Stages { get; }

    /// <summary>Whether pipefail decided <see cref="ExitCode"/>.</summary>
    public bool PipeFail { get; }

    /// <summary>The stage whose status is the pipeline's: the last, or with pipefail the rightmost failing one.</summary>
    public int DecisiveStage { get; }

    /// <summary>The pipeline's exit code (see <see cref="DecisiveStage"/>).</summary>
    public int ExitCode => Stages[DecisiveStage].ExitCode;

    /// <summary>Whether the pipeline's status is success.</summary>
    public bool IsSuccess => Stages[DecisiveStage].ExitStatus.IsSuccess;

    /// <summary>The last stage's result (its stdout is the pipeline's output).</summary>
    public CommandResult Last => Stages[^1];

    /// <summary>The pipeline's captured output: the last stage's stdout as text.</summary>
    public string StandardOutput => Last.StandardOutput;

    /// <summary>The pipeline's captured output: the last stage's stdout as bytes.</summary>
    public ReadOnlyMemory<byte> StandardOutputBytes => Last.StandardOutputBytes;

    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode} (stages: {string.Join(", ", Stages.Select(s => s.ExitCode))})";
}
