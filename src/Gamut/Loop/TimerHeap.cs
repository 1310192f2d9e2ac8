namespace Gamut.Loop;

/// <summary>
/// The loop's timers: a 4-ary min-heap ordered by due time, then by scheduling order (timers due at the same
/// instant fire in the order they were scheduled). Insert and remove are O(log n); each timer knows its place,
/// so a cancelled timer leaves the heap at once instead of lingering until it is due. Loop thread only.
/// </summary>
/// <remarks>
/// A hashed timer wheel would make insertion O(1), but loses exact ordering and needs a tick; at the loop's
/// scale (hundreds of thousands of timers a second, measured in bench/executors) the heap is not the limit.
/// </remarks>
internal sealed class TimerHeap
{
    private LoopTimer[] _items = new LoopTimer[64];
    private long _sequence;

    public int Count { get; private set; }

    public LoopTimer? Peek() => Count == 0 ? null : _items[0];

    public void Add(LoopTimer timer)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        timer.Sequence = _sequence++;
        _items[Count] = timer;
        timer.HeapIndex = Count;
        Count++;
        Up(Count - 1);
    }

    public LoopTimer Pop()
    {
        var top = _items[0];
        RemoveAt(0);
        return top;
    }

    public void Remove(LoopTimer timer)
    {
        var i = timer.HeapIndex;
        if (i >= 0 && i < Count && ReferenceEquals(_items[i], timer))
        {
            RemoveAt(i);
        }
    }

    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            _items[i].HeapIndex = -1;
            _items[i] = null!;
        }

        Count = 0;
    }

    private void RemoveAt(int i)
    {
        var removed = _items[i];
        removed.HeapIndex = -1;
        Count--;
        if (i == Count)
        {
            _items[Count] = null!;
            return;
        }

        var last = _items[Count];
        _items[Count] = null!;
        _items[i] = last;
        last.HeapIndex = i;
        if (i > 0 && Less(last, _items[(i - 1) >> 2]))
        {
            Up(i);
        }
        else
        {
            Down(i);
        }
    }

    private static bool Less(LoopTimer a, LoopTimer b) => a.Due < b.Due || (a.Due == b.Due && a.Sequence < b.Sequence);

    private void Up(int i)
    {
        var item = _items[i];
        while (i > 0)
        {
            var parent = (i - 1) >> 2;
            if (!Less(item, _items[parent]))
            {
                break;
            }

            _items[i] = _items[parent];
            _items[i].HeapIndex = i;
            i = parent;
        }

        _items[i] = item;
        item.HeapIndex = i;
    }

    private void Down(int i)
    {
        var item = _items[i];
        while (true)
        {
            var first = (i << 2) + 1;
            if (first >= Count)
            {
                break;
            }

            var best = first;
            var end = Math.Min(first + 4, Count);
            for (var c = first + 1; c < end; c++)
            {
                if (Less(_items[c], _items[best]))
                {
                    best = c;
                }
            }

            if (!Less(_items[best], item))
            {
                break;
            }

            _items[i] = _items[best];
            _items[i].HeapIndex = i;
            i = best;
        }

        _items[i] = item;
        item.HeapIndex = i;
    }
}
