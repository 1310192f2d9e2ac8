using Gamut.Jobs;

namespace Gamut.Redis.Workflows;

/// <summary>
/// A workflow, or a part of one, that runs on its own and produces a <typeparamref name="TOut"/>: a job with its input,
/// a group of such steps, or a chain that starts with one. Immutable: every method returns a new step. Build one with
/// <see cref="Workflow"/>, run it with <see cref="RedisWorkflows"/>.
/// </summary>
/// <typeparam name="TOut">What the step produces.</typeparam>
public sealed class WorkflowStep<TOut>
{
    internal WorkflowStep(WorkflowNode node) => Node = node;

    internal WorkflowNode Node { get; }

    /// <summary>Runs <paramref name="next"/> with this step's result when this step succeeded.</summary>
    /// <typeparam name="TNext">What the next step produces.</typeparam>
    /// <param name="next">A step that takes this one's result (<see cref="Workflow.Job{TIn, TOut}(JobRef{TIn, TOut}, Gamut.Executors.JobOptions?)"/>, a group or chain of such).</param>
    /// <returns>The chain of both.</returns>
    public WorkflowStep<TNext> Then<TNext>(WorkflowLink<TOut, TNext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new WorkflowStep<TNext>(Workflow.Join(Node, next.Node));
    }

    /// <summary>Runs the registered job <paramref name="next"/> with this step's result when this step succeeded.</summary>
    /// <typeparam name="TNext">What the job produces.</typeparam>
    /// <param name="next">The job; its input is this step's result.</param>
    /// <returns>The chain of both.</returns>
    public WorkflowStep<TNext> Then<TNext>(JobRef<TOut, TNext> next) => Then(Workflow.Job(next));
}

/// <summary>
/// A part of a workflow that waits for an input: a job without its input (it gets the result of the step before it),
/// or a group or chain that starts with such. Immutable. It runs as a step after another one
/// (<see cref="WorkflowStep{TOut}.Then{TNext}(WorkflowLink{TOut, TNext})"/>, <see cref="Workflow.Chord{T, TOut}(WorkflowStep{T[]}, WorkflowLink{T[], TOut})"/>).
/// </summary>
/// <typeparam name="TIn">The input it takes.</typeparam>
/// <typeparam name="TOut">What it produces.</typeparam>
public sealed class WorkflowLink<TIn, TOut>
{
    internal WorkflowLink(WorkflowNode node) => Node = node;

    internal WorkflowNode Node { get; }

    /// <summary>Runs <paramref name="next"/> with this link's result when it succeeded.</summary>
    /// <typeparam name="TNext">What the next step produces.</typeparam>
    /// <param name="next">The step after this one.</param>
    /// <returns>The chain of both, still waiting for this link's input.</returns>
    public WorkflowLink<TIn, TNext> Then<TNext>(WorkflowLink<TOut, TNext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new WorkflowLink<TIn, TNext>(Workflow.Join(Node, next.Node));
    }

    /// <summary>Runs the registered job <paramref name="next"/> with this link's result when it succeeded.</summary>
    /// <typeparam name="TNext">What the job produces.</typeparam>
    /// <param name="next">The job.</param>
    /// <returns>The chain of both.</returns>
    public WorkflowLink<TIn, TNext> Then<TNext>(JobRef<TOut, TNext> next) => Then(Workflow.Job(next));
}
