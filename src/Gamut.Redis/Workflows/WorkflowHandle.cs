namespace Gamut.Redis.Workflows;

/// <summary>A started workflow: the queue it runs on and its id (its jobs are <c>ID.N</c> on that queue).</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Id">The workflow's id.</param>
public readonly record struct WorkflowHandle(string Queue, string Id);
