using System.Collections.Immutable;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Redis.Workflows;

/// <summary>
/// Builds workflows of registered jobs: a chain (each step gets the result of the one before), a group (members run
/// at once; the result is the array of their results, in order), a chord (a group, then a callback given every
/// result), nested as deep as needed. Run one with <see cref="RedisWorkflows"/>:
/// <code>
/// var flow = Workflow.Chord(Workflow.Group(urls.Select(u => Workflow.Job(fetch, u))), Workflow.Job(merge));
/// var merged = await workflows.RunAsync(flow, cancellationToken: ct);
/// </code>
/// </summary>
/// <remarks>
/// A failure stops a workflow built with <see cref="Group{TOut}(IEnumerable{WorkflowStep{TOut}})"/>: the jobs that
/// have not started are cancelled and the workflow fails with the member's error. A workflow built with
/// <see cref="GroupSettled{TOut}(IEnumerable{WorkflowStep{TOut}})"/> goes on: a failed member's slot holds its
/// error (<see cref="WorkflowOutcome{T}"/>) and the callback gets every outcome. One workflow has one policy, so the
/// two kinds of group are not mixed in it. A chain stops at a failed step either way (there is no result to pass on).
/// </remarks>
public static class Workflow
{
    /// <summary>A registered job with its own input.</summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">The job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="options">Its retry policy and timeout (a member's id, queue and delay come from the workflow).</param>
    /// <exception cref="ArgumentException">The options name an id, a queue or a delay.</exception>
    public static WorkflowStep<TOut> Job<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, JobOptions? options = null) =>
        new(new JobNode(NameOf(job.Name), s => s.SerializeToArray(input), Checked(options)));

    /// <summary>A registered job that takes the result of the step before it (in a chain, or as a chord's callback) as its input.</summary>
    /// <typeparam name="TIn">The job's input type: the previous step's result type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="job">The job.</param>
    /// <param name="options">Its retry policy and timeout.</param>
    /// <exception cref="ArgumentException">The options name an id, a queue or a delay.</exception>
    public static WorkflowLink<TIn, TOut> Job<TIn, TOut>(JobRef<TIn, TOut> job, JobOptions? options = null) =>
        new(new JobNode(NameOf(job.Name), null, Checked(options)));

    /// <summary>Steps that run at once; the result is the array of their results, in the order given. A failure stops the workflow.</summary>
    /// <typeparam name="TOut">A member's result type.</typeparam>
    /// <param name="members">The members (at least one).</param>
    /// <exception cref="ArgumentException">No member.</exception>
    public static WorkflowStep<TOut[]> Group<TOut>(IEnumerable<WorkflowStep<TOut>> members) =>
        new(GroupOf(members.Select(m => m.Node), settled: false));

    /// <summary>Links that run at once, each given the same input (the result of the step before the group).</summary>
    /// <typeparam name="TIn">The input every member takes.</typeparam>
    /// <typeparam name="TOut">A member's result type.</typeparam>
    /// <param name="members">The members (at least one).</param>
    /// <exception cref="ArgumentException">No member.</exception>
    public static WorkflowLink<TIn, TOut[]> Group<TIn, TOut>(IEnumerable<WorkflowLink<TIn, TOut>> members) =>
        new(GroupOf(members.Select(m => m.Node), settled: false));

    /// <summary>
    /// Steps that run at once, and all run whatever happens to the others: the result is every member's outcome, in
    /// order — its result or its error. A workflow with a settled group goes on past failures.
    /// </summary>
    /// <typeparam name="TOut">A member's result type.</typeparam>
    /// <param name="members">The members (at least one).</param>
    /// <exception cref="ArgumentException">No member.</exception>
    public static WorkflowStep<WorkflowOutcome<TOut>[]> GroupSettled<TOut>(IEnumerable<WorkflowStep<TOut>> members) =>
        new(GroupOf(members.Select(m => m.Node), settled: true));

    /// <summary>A chain: <paramref name="first"/>, then <paramref name="next"/> with its result.</summary>
    /// <typeparam name="TMid">The first step's result type.</typeparam>
    /// <typeparam name="TOut">The chain's result type.</typeparam>
    /// <param name="first">The first step.</param>
    /// <param name="next">The step that takes its result.</param>
    public static WorkflowStep<TOut> Chain<TMid, TOut>(WorkflowStep<TMid> first, WorkflowLink<TMid, TOut> next)
    {
        ArgumentNullException.ThrowIfNull(first);
        return first.Then(next);
    }

    /// <summary>A chord: every member of <paramref name="group"/>, then <paramref name="callback"/> given all their results in order.</summary>
    /// <typeparam name="T">A member's result type.</typeparam>
    /// <typeparam name="TOut">The callback's result type.</typeparam>
    /// <param name="group">The group.</param>
    /// <param name="callback">The callback; it runs once, after the last member ended.</param>
    public static WorkflowStep<TOut> Chord<T, TOut>(WorkflowStep<T[]> group, WorkflowLink<T[], TOut> callback) => Chain(group, callback);

    /// <summary>A chord whose callback is a registered job.</summary>
    /// <typeparam name="T">A member's result type.</typeparam>
    /// <typeparam name="TOut">The callback's result type.</typeparam>
    /// <param name="group">The group.</param>
    /// <param name="callback">The callback job; its input is the array of results.</param>
    public static WorkflowStep<TOut> Chord<T, TOut>(WorkflowStep<T[]> group, JobRef<T[], TOut> callback) => Chain(group, Job(callback));

    /// <summary>Two nodes one after the other; chains are flattened, so a chain of chains is one chain.</summary>
    internal static WorkflowNode Join(WorkflowNode first, WorkflowNode next)
    {
        var steps = ImmutableArray.CreateBuilder<WorkflowNode>();
        foreach (var n in new[] { first, next })
        {
            if (n is ChainNode c)
            {
                steps.AddRange(c.Steps);
            }
            else
            {
                steps.Add(n);
            }
        }

        return new ChainNode(steps.ToImmutable());
    }

    private static GroupNode GroupOf(IEnumerable<WorkflowNode> members, bool settled)
    {
        ArgumentNullException.ThrowIfNull(members);
        var all = members.ToImmutableArray();
        if (all.IsEmpty)
        {
            throw new ArgumentException("A group needs at least one member", nameof(members));
        }

        return new GroupNode(all, settled);
    }

    private static string NameOf(string? name) =>
        name ?? throw new ArgumentException("The job reference is empty (default(JobRef)): name a registered job", "job");

    private static JobOptions Checked(JobOptions? options)
    {
        options ??= JobOptions.Default;
        options.Validate();
        if (options.Id is not null || options.Queue is not null || options.Delay is not null)
        {
            throw new ArgumentException("A workflow's job takes its id and queue from the workflow and cannot be delayed: give only Retry and Timeout", nameof(options));
        }

        return options;
    }
}
