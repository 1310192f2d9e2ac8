namespace Gamut.Redis.Coordination;

internal static class Signals
{
    /// <summary>Wakes a waiter; a message that arrives after the waiter left is dropped.</summary>
    public static void Poke(SemaphoreSlim signal)
    {
        try
        {
            signal.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
