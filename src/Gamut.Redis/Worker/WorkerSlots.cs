namespace Gamut.Redis.Worker;

/// <summary>
/// A worker's job slots, shared by the instances it serves (every member of a ring): at most <c>concurrency</c>
/// jobs run at once, and at most four times that wait to have their outcome recorded, whichever instance they came
/// from. A freed slot wakes every instance's take loop; the first to look takes it.
/// </summary>
internal sealed class WorkerSlots(int concurrency)
{
    private readonly List<SemaphoreSlim> _waiters = [];
    private int _running;
    private int _recording;

    public int Concurrency => concurrency;

    public int Running => Volatile.Read(ref _running);

    /// <summary>How many more jobs may be taken now.</summary>
    public int Free => Math.Min(concurrency - Running, (concurrency * 4) - Volatile.Read(ref _recording));

    public void Register(SemaphoreSlim freed)
    {
        lock (_waiters)
        {
            _waiters.Add(freed);
        }
    }

    public void Unregister(SemaphoreSlim freed)
    {
        lock (_waiters)
        {
            _waiters.Remove(freed);
        }
    }

    public void StartRunning() => Interlocked.Increment(ref _running);

    public void StopRunning()
    {
        Interlocked.Decrement(ref _running);
        Signal();
    }

    public void StartRecording() => Interlocked.Increment(ref _recording);

    public void StopRecording()
    {
        Interlocked.Decrement(ref _recording);
        Signal();
    }

    /// <summary>Wakes every take loop waiting for a slot.</summary>
    public void Signal()
    {
        SemaphoreSlim[] waiters;
        lock (_waiters)
        {
            waiters = [.. _waiters];
        }

        foreach (var w in waiters)
        {
            try
            {
                if (w.CurrentCount == 0)
                {
                    w.Release();
                }
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }
}
