using System.Diagnostics;

namespace Gamut.Pool.Engine;

/// <summary>
/// The W3C trace context a pool job carries to its worker: the submitter's current activity, taken when the job is
/// submitted (a map: when it starts), so the worker's <c>process</c> span is its child. None when no activity is
/// current, so an untraced job costs nothing more than a null check.
/// </summary>
internal sealed class PoolTrace(string traceParent, string? traceState)
{
    /// <summary>The <c>traceparent</c> (W3C).</summary>
    public string TraceParent { get; } = traceParent;

    /// <summary>The <c>tracestate</c>, or null.</summary>
    public string? TraceState { get; } = traceState;

    /// <summary>The current activity's context; null when there is none or it is not in W3C format.</summary>
    public static PoolTrace? Capture() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } current ? new PoolTrace(id, current.TraceStateString) : null;
}
