namespace Gamut.Redis;

/// <summary>A job on a Redis queue: its queue and id. Returned by enqueue; pass it to wait, status and cancel.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Id">The job's id.</param>
public readonly record struct JobHandle(string Queue, string Id)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Queue}/{Id}";
}
