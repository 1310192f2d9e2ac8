using System.Collections.Immutable;
using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Redis.Workflows;

/// <summary>A node of a workflow's tree, as the builders make it (immutable; serialized only when submitted).</summary>
internal abstract record WorkflowNode;

/// <summary>A job: its name, its own input (null: it takes the input the workflow hands it) and its retry and timeout.</summary>
internal sealed record JobNode(string Name, Func<IJobSerializer, byte[]>? Input, JobOptions Options) : WorkflowNode;

/// <summary>Steps run one after the other, each given the result of the one before.</summary>
internal sealed record ChainNode(ImmutableArray<WorkflowNode> Steps) : WorkflowNode;

/// <summary>Members run at once, each given the same input; the result is the array of their results, in order.</summary>
/// <param name="Members">The members.</param>
/// <param name="Settled">True: a failed member fills its slot with its error and the rest go on (the workflow's policy is <c>continue</c>).</param>
internal sealed record GroupNode(ImmutableArray<WorkflowNode> Members, bool Settled) : WorkflowNode;
