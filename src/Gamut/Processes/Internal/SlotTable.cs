namespace Gamut.Processes.Internal;

/// <summary>
/// Handlers by a 64-bit token for an epoll data word: a slot index (low 32 bits) and a generation (high 32).
/// Slots are reused, generations are not, so an event still queued for a handler that was removed (maybe earlier
/// in the same batch) is recognised as stale by <see cref="TryGet"/> and dropped instead of reaching whoever took
/// the slot next. Used by the process reactor and the event loop's poller.
/// </summary>
/// <remarks>Add and Remove may run on any thread; TryGet reads without a lock (an entry is one immutable object).</remarks>
/// <typeparam name="T">The handler type.</typeparam>
internal sealed class SlotTable<T>
    where T : class
{
    private readonly object _gate = new();
    private readonly Stack<int> _free = new();
    private Entry?[] _entries = new Entry?[64];
    private int _next;
    private uint _generation;

    /// <summary>Stores <paramref name="handler"/>; returns its token.</summary>
    public ulong Add(T handler)
    {
        lock (_gate)
        {
            if (!_free.TryPop(out var slot))
            {
                slot = _next++;
                if (slot == _entries.Length)
                {
                    var bigger = new Entry?[_entries.Length * 2];
                    Array.Copy(_entries, bigger, _entries.Length);
                    Volatile.Write(ref _entries, bigger);
                }
            }

            // Never 0, and never all ones: ulong.MaxValue stays free for a caller's own marker (a wake-up).
            if (++_generation is 0 or uint.MaxValue)
            {
                _generation = 1;
            }

            Volatile.Write(ref _entries[slot], new Entry(handler, _generation));
            return (uint)slot | ((ulong)_generation << 32);
        }
    }

    /// <summary>The handler for <paramref name="token"/>, unless it was removed (or its slot now holds another).</summary>
    public bool TryGet(ulong token, out T handler)
    {
        var entries = Volatile.Read(ref _entries);
        var slot = (int)(uint)token;
        if ((uint)slot < (uint)entries.Length && Volatile.Read(ref entries[slot]) is { } entry && entry.Generation == (uint)(token >> 32))
        {
            handler = entry.Handler;
            return true;
        }

        handler = null!;
        return false;
    }

    /// <summary>Forgets <paramref name="token"/>'s handler; its slot may be reused, with a new generation.</summary>
    public void Remove(ulong token)
    {
        lock (_gate)
        {
            var slot = (int)(uint)token;
            if (slot < _next && _entries[slot] is { } entry && entry.Generation == (uint)(token >> 32))
            {
                Volatile.Write(ref _entries[slot], null);
                _free.Push(slot);
            }
        }
    }

    private sealed record Entry(T Handler, uint Generation);
}
