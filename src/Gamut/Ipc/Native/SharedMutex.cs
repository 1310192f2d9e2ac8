namespace Gamut.Ipc.Native;

/// <summary>
/// A mutex in shared memory that is released when its holder dies. The holder is named by one word (its pid and
/// start time, see <see cref="ProcessIdentity"/>) taken with a compare-and-swap; a waiter that finds the holder dead
/// (or a zombie, or its pid reused) takes the lock over with another compare-and-swap. Waiting is on a futex
/// sequence word the releaser bumps, through <see cref="FutexPump"/> when async.
/// Ownership is per process, not per thread, so an async lease may be released on any thread.
/// </summary>
/// <remarks>Layout (32 bytes): owner word (8), wake sequence (4), waiters (4), fencing counter (8).</remarks>
internal sealed class SharedMutex
{
    private readonly IpcRegion _region;
    private readonly nint _at;

    /// <summary>A mutex at <paramref name="at"/> inside <paramref name="region"/> (whose callers hold a reference while they use it).</summary>
    public unsafe SharedMutex(IpcRegion region, byte* at)
    {
        _region = region;
        _at = (nint)at;
    }

    public const int Size = 32;
    private static readonly TimeSpan LivenessSlice = TimeSpan.FromMilliseconds(50);

    private unsafe long* Owner => (long*)_at;

    private unsafe int* WakeSeq => (int*)(_at + 8);

    private unsafe int* Waiters => (int*)(_at + 12);

    private unsafe long* Fence => (long*)(_at + 16);

    /// <summary>Takes the lock if it is free (or its holder is dead); returns the fencing token, or 0.</summary>
    public unsafe long TryEnter()
    {
        var me = ProcessIdentity.Current;
        var current = Volatile.Read(ref *Owner);
        if (current == 0)
        {
            if (Interlocked.CompareExchange(ref *Owner, me, 0) == 0)
            {
                return Interlocked.Increment(ref *Fence);
            }
        }
        else if (current != me && !ProcessIdentity.IsAlive(current) && Interlocked.CompareExchange(ref *Owner, me, current) == current)
        {
            return Interlocked.Increment(ref *Fence);
        }

        return 0;
    }

    /// <summary>Takes the lock, spinning first and then sleeping; never returns without it.</summary>
    public unsafe long Enter()
    {
        var spin = new SpinWait();
        var me = ProcessIdentity.Current;
        for (var i = 0; ; i++)
        {
            if (Interlocked.CompareExchange(ref *Owner, me, 0) == 0)
            {
                return Interlocked.Increment(ref *Fence);
            }

            if (i < 200)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            var seq = Volatile.Read(ref *WakeSeq);
            var current = Volatile.Read(ref *Owner);
            if (current == 0)
            {
                continue;
            }

            if (current != me && !ProcessIdentity.IsAlive(current))
            {
                if (Interlocked.CompareExchange(ref *Owner, me, current) == current)
                {
                    return Interlocked.Increment(ref *Fence);
                }

                continue;
            }

            Interlocked.Increment(ref *Waiters);
            LinuxNative.FutexWaitOn(WakeSeq, seq, LivenessSlice);
            Interlocked.Decrement(ref *Waiters);
        }
    }

    /// <summary>Takes the lock, waiting at most <paramref name="timeout"/>; returns the fencing token, or 0 on timeout.</summary>
    public async ValueTask<long> EnterAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 64; i++)
        {
            var token = TryEnter();
            if (token != 0)
            {
                return Acquired(token);
            }

            Thread.SpinWait(20);
        }

        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (_region.IsDisposed)
            {
                throw _region.Disposed(); // between two slices of the wait: fail like a wait the pump abandoned
            }

            var seq = ReadWakeSeq();
            var token = TryEnter();
            if (token != 0)
            {
                return Acquired(token);
            }

            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return 0;
            }

            AddWaiter(1);
            try
            {
                // Sleep until a release (or a slice passes, to check that the holder still lives).
                var slice = TimeSpan.FromMilliseconds(Math.Min(left, LivenessSlice.TotalMilliseconds));
                await FutexPump.WaitAsync(_region, _at + 8, seq, slice, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                AddWaiter(-1);
            }
        }
    }

    /// <summary>
    /// An acquisition that completes after its lock was disposed is given back and fails: whoever awaited it is
    /// told the lock is gone, as a wait still asleep in the pump is, instead of receiving a lease by chance.
    /// </summary>
    private long Acquired(long token)
    {
        if (_region.IsDisposed)
        {
            Exit();
            throw _region.Disposed();
        }

        return token;
    }

    private unsafe int ReadWakeSeq() => Volatile.Read(ref *WakeSeq);

    private unsafe void AddWaiter(int delta) => Interlocked.Add(ref *Waiters, delta);

    /// <summary>Releases the lock (if this process holds it) and wakes the waiters.</summary>
    public unsafe void Exit()
    {
        var me = ProcessIdentity.Current;
        if (Interlocked.CompareExchange(ref *Owner, 0, me) != me)
        {
            return;
        }

        Interlocked.Increment(ref *WakeSeq);
        if (Volatile.Read(ref *Waiters) > 0)
        {
            LinuxNative.FutexWakeOn(WakeSeq, int.MaxValue);
        }
    }

    /// <summary>The pid of the holder, or 0.</summary>
    public unsafe int HolderPid => ProcessIdentity.PidOf(Volatile.Read(ref *Owner));
}
