namespace Gamut.Jobs;

/// <summary>A progress report from a running job.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Fraction">From 0 to 1, or null when unknown.</param>
/// <param name="Message">A short description of the current step.</param>
public readonly record struct JobProgress(string JobId, double? Fraction, string? Message);
