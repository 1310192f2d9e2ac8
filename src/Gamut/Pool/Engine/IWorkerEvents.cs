using Gamut.Pool.Protocol;

namespace Gamut.Pool.Engine;

/// <summary>What the <see cref="WorkerSupervisor"/> tells the rest of the pool about its workers. It never touches work itself.</summary>
internal interface IWorkerEvents
{
    /// <summary>A worker got ready, fell idle or was replaced: there may be room for queued work.</summary>
    void RoomForWork();

    /// <summary>A Results frame from <paramref name="w"/> (read from its channel, or kept in its journal when it died).</summary>
    void Results(WorkerHandle w, ReadOnlySpan<byte> body);

    /// <summary>The job <paramref name="w"/> is running passed its timeout; the worker is being stopped and is signalled once this returns.</summary>
    void TimedOut(PoolJob job, WorkerHandle w, SlotSnapshot slot);

    /// <summary>
    /// A worker has ended (or could not start). <paramref name="orphans"/> were in flight on it (already taken off it,
    /// in the order sent); <paramref name="slot"/> says how far it got. <paramref name="crashLoop"/> is set while workers
    /// keep dying at start.
    /// </summary>
    void Ended(WorkerHandle w, WorkerExit exit, SlotSnapshot slot, List<PoolJob> orphans, WorkerCrashLoopException? crashLoop);
}
