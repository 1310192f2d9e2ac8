namespace Gamut.Redis.Worker.Engine;

/// <summary>Wake-ups between a worker's loops: a semaphore of one that a signal sets and a wait consumes.</summary>
internal static class Signals
{
    /// <summary>Waits for the signal, the timeout, or the stop, whichever comes first; a stop ends the wait quietly.</summary>
    public static async Task WaitAsync(SemaphoreSlim signal, TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await signal.WaitAsync(timeout, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sets the signal (once: a second signal before the wait is the same wake-up).</summary>
    public static void Set(SemaphoreSlim signal)
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }
}
