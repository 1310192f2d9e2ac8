namespace Gamut.Redis.Workflows;

/// <summary>A workflow's state as its hash holds it.</summary>
/// <param name="State"><c>running</c>, <c>succeeded</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="Policy"><c>stop</c> (a failure stops it) or <c>continue</c> (it goes on past failures).</param>
/// <param name="Jobs">How many jobs it has in all.</param>
/// <param name="Succeeded">How many of them succeeded so far.</param>
/// <param name="Failed">How many failed, were dead-lettered or were cancelled while it ran.</param>
/// <param name="Created">When it started.</param>
/// <param name="Finished">When it ended, if it has.</param>
/// <param name="Error">The error JSON it failed with, if it failed.</param>
public sealed record WorkflowStatus(string State, string Policy, int Jobs, int Succeeded, int Failed, DateTimeOffset Created, DateTimeOffset? Finished, string? Error);
