using System.Runtime.InteropServices;

namespace Gamut.Ipc.Native;

/// <summary>
/// Async waits on futex words in shared memory, for the whole process on one thread: it sleeps in futex_waitv on
/// every word someone awaits (plus a word of its own, to learn of new waiters), and completes each wait whose word
/// changed, was woken, or timed out. So an awaited cross-process queue, lock or event costs no thread per waiter.
/// </summary>
internal static unsafe class FutexPump
{
    private const int MaxWords = 127;
    private static readonly object Gate = new();
    private static readonly List<Waiter> Waiters = [];
    private static readonly int* Control = (int*)NativeMemory.AllocZeroed(64);
    private static Thread? s_thread;
    private static bool s_noWaitv;

    /// <summary>
    /// Completes true when <c>*address != expected</c> (or a wake reached it), false when <paramref name="timeout"/>
    /// passed first, and fails with <see cref="ObjectDisposedException"/> when <paramref name="owner"/> is disposed
    /// (<see cref="Abandon"/>). The caller holds a reference on <paramref name="owner"/> until the task completes,
    /// so the word stays mapped while the pump may read it.
    /// </summary>
    public static Task<bool> WaitAsync(IpcRegion owner, nint word, int expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var address = (int*)word;
        if (Volatile.Read(ref *address) != expected)
        {
            return Task.FromResult(true);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        var waiter = new Waiter(owner, address, expected, timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));
        lock (Gate)
        {
            // Checked under the gate: Abandon takes the same gate, so a wait added after it ran is refused here.
            if (owner.IsDisposed)
            {
                return Task.FromException<bool>(owner.Disposed());
            }

            Waiters.Add(waiter);
            if (s_thread is null)
            {
                s_thread = new Thread(Run) { IsBackground = true, Name = "gamut-ipc-futex-pump" };
                s_thread.Start();
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static s =>
            {
                var w = (Waiter)s!;
                Remove(w);
                w.Completion.TrySetCanceled();
            }, waiter);
        }

        Poke();
        return waiter.Completion.Task;
    }

    /// <summary>
    /// Fails every wait on <paramref name="owner"/> with <see cref="ObjectDisposedException"/> and forgets its words,
    /// so the pump never reads them again (called when the object is disposed, before its mapping can go).
    /// </summary>
    public static void Abandon(IpcRegion owner)
    {
        List<Waiter>? abandoned = null;
        lock (Gate)
        {
            for (var i = Waiters.Count - 1; i >= 0; i--)
            {
                if (Waiters[i].Owner == owner)
                {
                    (abandoned ??= []).Add(Waiters[i]);
                    Waiters.RemoveAt(i);
                }
            }
        }

        if (abandoned is null)
        {
            return;
        }

        Poke(); // the pump may be asleep on those words: let it rebuild its set without them
        foreach (var w in abandoned)
        {
            w.Registration.Dispose();
            w.Completion.TrySetException(owner.Disposed());
        }
    }

    private static void Remove(Waiter waiter)
    {
        lock (Gate)
        {
            Waiters.Remove(waiter);
        }

        Poke();
    }

    private static void Poke()
    {
        Interlocked.Increment(ref *Control);
        LinuxNative.FutexWakeOn(Control, 1);
    }

    private static void Run()
    {
        var words = (LinuxNative.FutexWaitv*)NativeMemory.AllocZeroed((nuint)(sizeof(LinuxNative.FutexWaitv) * (MaxWords + 1)));
        var done = new List<(Waiter Waiter, bool Result)>();
        while (true)
        {
            int count;
            long nearest;
            var control = Volatile.Read(ref *Control);
            lock (Gate)
            {
                done.Clear();
                var now = Environment.TickCount64;
                nearest = long.MaxValue;
                for (var i = Waiters.Count - 1; i >= 0; i--)
                {
                    var w = Waiters[i];
                    if (Volatile.Read(ref *w.Address) != w.Expected || w.Woken)
                    {
                        done.Add((w, true));
                        Waiters.RemoveAt(i);
                    }
                    else if (w.Deadline <= now)
                    {
                        done.Add((w, false));
                        Waiters.RemoveAt(i);
                    }
                    else
                    {
                        nearest = Math.Min(nearest, w.Deadline);
                    }
                }

                words[0] = new LinuxNative.FutexWaitv { Address = (ulong)Control, Value = (uint)control, Flags = 2 };
                count = 1;
                foreach (var w in Waiters)
                {
                    if (count > MaxWords)
                    {
                        // More words than one call can watch: look again soon.
                        nearest = Math.Min(nearest, Environment.TickCount64 + 2);
                        break;
                    }

                    words[count++] = new LinuxNative.FutexWaitv { Address = (ulong)w.Address, Value = (uint)w.Expected, Flags = 2 };
                }
            }

            foreach (var (w, result) in done)
            {
                w.Registration.Dispose();
                w.Completion.TrySetResult(result);
            }

            if (done.Count > 0)
            {
                continue;
            }

            if (s_noWaitv)
            {
                Thread.Sleep(1);
                continue;
            }

            LinuxNative.Timespec? deadline = null;
            if (nearest != long.MaxValue)
            {
                var wait = TimeSpan.FromMilliseconds(Math.Max(0, nearest - Environment.TickCount64));
                var now = LinuxNative.MonotonicNow();
                var add = LinuxNative.Timespec.FromTimeSpan(wait);
                var ns = now.Nanoseconds + add.Nanoseconds;
                deadline = new LinuxNative.Timespec { Seconds = now.Seconds + add.Seconds + (ns / 1_000_000_000), Nanoseconds = ns % 1_000_000_000 };
            }

            var r = LinuxNative.FutexWaitMany(words, count, deadline);
            if (r == -LinuxNative.ENOSYS)
            {
                s_noWaitv = true;
            }
            else if (r > 0)
            {
                // A wake on a waited word: that waiter re-checks even if the value looks the same (a wake is news).
                lock (Gate)
                {
                    var address = (int*)words[r].Address;
                    foreach (var w in Waiters)
                    {
                        if (w.Address == address)
                        {
                            w.Woken = true;
                        }
                    }
                }
            }
        }
    }

    private sealed class Waiter(IpcRegion owner, int* address, int expected, long deadline)
    {
        public IpcRegion Owner { get; } = owner;

        public int* Address { get; } = address;

        public int Expected { get; } = expected;

        public long Deadline { get; } = deadline;

        public bool Woken { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
