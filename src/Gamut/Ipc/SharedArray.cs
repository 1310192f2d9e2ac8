using System.Runtime.CompilerServices;

namespace Gamut.Ipc;

/// <summary>
/// An array of unmanaged values in memory shared by processes on one machine, by name. Plain memory: reads and
/// writes are as fast as an ordinary array's, and as unsynchronized; use <see cref="System.Threading.Interlocked"/>
/// on its elements (through <see cref="this[long]"/>) or an <see cref="IpcLock"/> to coordinate.
/// </summary>
/// <typeparam name="T">The element type; opening with a type of another size is refused.</typeparam>
public sealed unsafe class SharedArray<T> : IDisposable
    where T : unmanaged
{
    private readonly IpcRegion _region;
    private readonly T* _data;

    private SharedArray(IpcRegion region)
    {
        _region = region;
        _data = (T*)region.Body;
        Length = region.Capacity;
    }

    /// <summary>The array's name.</summary>
    public string Name => _region.Name;

    /// <summary>How many elements it has.</summary>
    public long Length { get; }

    /// <summary>An element, by reference (so <c>Interlocked.Increment(ref array[i])</c> works across processes).</summary>
    /// <param name="index">From 0 to <see cref="Length"/> - 1.</param>
    public ref T this[long index]
    {
        get
        {
            if (_region.IsDisposed)
            {
                throw _region.Disposed();
            }

            if ((ulong)index >= (ulong)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The shared array '{Name}' has {Length} elements.");
            }

            return ref _data[index];
        }
    }

    /// <summary>Creates a zero-filled array.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="length">How many elements, at least 1.</param>
    /// <exception cref="IpcObjectExistsException">The name is taken.</exception>
    public static SharedArray<T> Create(string name, long length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return new SharedArray<T>(IpcRegion.Create(name, IpcKind.Array, sizeof(T), length, checked(length * sizeof(T))));
    }

    /// <summary>Opens an existing array.</summary>
    /// <param name="name">Its name.</param>
    /// <exception cref="IpcObjectNotFoundException">No shared array has this name.</exception>
    /// <exception cref="IpcLayoutMismatchException">Its elements are not <c>sizeof(T)</c> bytes, or the name belongs to another kind of object.</exception>
    public static SharedArray<T> Open(string name) => new(IpcRegion.Open(name, IpcKind.Array, sizeof(T)));

    /// <summary>A span over elements [start, start + length) (a span holds at most int.MaxValue elements).</summary>
    /// <param name="start">The first element.</param>
    /// <param name="length">How many.</param>
    public Span<T> AsSpan(long start, int length)
    {
        if (_region.IsDisposed)
        {
            throw _region.Disposed();
        }

        if (start < 0 || length < 0 || start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + length}) is outside the shared array '{Name}' of {Length} elements.");
        }

        return new Span<T>(_data + start, length);
    }

    /// <summary>A span over the whole array (when it has at most int.MaxValue elements).</summary>
    public Span<T> AsSpan() => AsSpan(0, checked((int)Length));

    /// <summary>Unmaps the array. A reference or span taken before must not be used after (it is plain memory).</summary>
    public void Dispose() => _region.Dispose();

    internal static int ElementSize => Unsafe.SizeOf<T>();
}
