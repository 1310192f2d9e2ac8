using Gamut.Coordination;
using Gamut.Ipc.Native;

namespace Gamut.Ipc;

/// <summary>
/// A manual-reset event shared by processes on one machine, by name. A waiter that was waiting when the event was
/// set is released even if it is reset again at once (the event counts its settings).
/// </summary>
public sealed class IpcEvent : IAsyncEvent, IDisposable
{
    // One futex word: (generation << 1) | set. Setting bumps the generation, so no waiter misses a pulse.
    private readonly IpcRegion _region;
    private readonly nint _at;

    private unsafe IpcEvent(IpcRegion region)
    {
        _region = region;
        _at = (nint)region.Body;
    }

    private unsafe int* Word => (int*)_at;

    private unsafe int* Waiters => (int*)(_at + 4);

    /// <summary>The event's name.</summary>
    public string Name => _region.Name;

    /// <inheritdoc/>
    public bool IsSet
    {
        get
        {
            using var use = _region.Use();
            return ReadWord() % 2 != 0;
        }
    }

    /// <summary>How many waiters, in every process, are asleep on the event (for tests and diagnostics).</summary>
    internal unsafe int WaitingCount
    {
        get
        {
            using var use = _region.Use();
            return Volatile.Read(ref *Waiters);
        }
    }

    /// <summary>Creates an event.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="initiallySet">Whether it starts set.</param>
    /// <exception cref="IpcObjectExistsException">The name is taken.</exception>
    public static IpcEvent Create(string name, bool initiallySet = false)
    {
        var e = new IpcEvent(IpcRegion.Create(name, IpcKind.Event, 0, 0, 8));
        if (initiallySet)
        {
            e.Set();
        }

        return e;
    }

    /// <summary>Opens an existing event.</summary>
    /// <param name="name">Its name.</param>
    /// <exception cref="IpcObjectNotFoundException">No event has this name.</exception>
    public static IpcEvent Open(string name) => new(IpcRegion.Open(name, IpcKind.Event, 0));

    /// <inheritdoc/>
    public unsafe void Set()
    {
        using var use = _region.Use();
        while (true)
        {
            var w = Volatile.Read(ref *Word);
            if ((w & 1) != 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref *Word, (((w >> 1) + 1) << 1) | 1, w) == w)
            {
                if (Volatile.Read(ref *Waiters) > 0)
                {
                    LinuxNative.FutexWakeOn(Word, int.MaxValue);
                }

                return;
            }
        }
    }

    /// <inheritdoc/>
    public unsafe void Reset()
    {
        using var use = _region.Use();
        while (true)
        {
            var w = Volatile.Read(ref *Word);
            if ((w & 1) == 0 || Interlocked.CompareExchange(ref *Word, w & ~1, w) == w)
            {
                return;
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask WaitAsync(CancellationToken cancellationToken = default) =>
        await WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The event was disposed (also while waiting).</exception>
    public async ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Held to the end, so the waiter count in shared memory is still mapped when the finally below runs.
        using var use = _region.Use();
        var seen = ReadWord();
        if ((seen & 1) != 0)
        {
            return true;
        }

        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        AddWaiter(1);
        try
        {
            while (true)
            {
                var left = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
                await FutexPump.WaitAsync(_region, _at, seen, left, cancellationToken).ConfigureAwait(false);
                var now = ReadWord();
                if ((now >> 1) != (seen >> 1) || (now & 1) != 0)
                {
                    return true; // set since we looked (maybe reset again already)
                }

                if (Environment.TickCount64 >= deadline)
                {
                    return false;
                }

                if (_region.IsDisposed)
                {
                    throw _region.Disposed(); // woken as it was disposed: do not wait again
                }

                seen = now;
            }
        }
        finally
        {
            AddWaiter(-1);
        }
    }

    private unsafe int ReadWord() => Volatile.Read(ref *Word);

    private unsafe void AddWaiter(int delta) => Interlocked.Add(ref *Waiters, delta);

    /// <summary>Unmaps the event once nothing uses it; a pending wait fails with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _region.Dispose();
}
