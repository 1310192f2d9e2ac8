using Gamut.Ipc.Native;

namespace Gamut.Cli.Measure.Native;

/// <summary>
/// Waiting on and waking a word of shared memory, through Gamut.Ipc's futex calls. A wait gives up after a guard
/// time, so a peer that died never hangs the run (the guard is far above any round trip; it only stops a hang).
/// </summary>
internal static unsafe class Futex
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>Waits until <c>*word != value</c>; returns the new value.</summary>
    public static int WaitWhile(int* word, int value)
    {
        var start = Environment.TickCount64;
        while (true)
        {
            var now = Volatile.Read(ref *word);
            if (now != value)
            {
                return now;
            }

            LinuxNative.FutexWaitOn(word, value, TimeSpan.FromSeconds(1));
            if (Environment.TickCount64 - start > Guard.TotalMilliseconds)
            {
                throw new TimeoutException($"the peer did not answer within {Guard.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Stores <paramref name="value"/> and wakes the other side.</summary>
    public static void Set(int* word, int value)
    {
        Volatile.Write(ref *word, value);
        LinuxNative.FutexWakeOn(word, 1);
    }
}
