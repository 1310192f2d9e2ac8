using System.Runtime.InteropServices;
using Gamut.Ipc.Native;

namespace Gamut.Ipc;

/// <summary>What a region holds.</summary>
internal enum IpcKind : ushort
{
    Lock = 1,
    Event = 2,
    Queue = 3,
    Array = 4,
}

/// <summary>
/// A named, mapped region with a header that says what it is: magic, layout version, kind, element size and
/// capacity. A region is created complete under a temporary name and then linked to its real name, so nobody ever
/// opens a half-written one.
/// </summary>
/// <remarks>
/// The mapping is reference-counted: every operation on the object holds a reference for its whole duration
/// (<see cref="Use"/>), and so does a lock's lease, so <see cref="Dispose"/> never unmaps memory that another
/// thread, a pending wait or the futex pump still reads. Dispose refuses new operations, fails the pending waits
/// with <see cref="ObjectDisposedException"/>, and the last reference unmaps.
/// </remarks>
internal sealed unsafe partial class IpcRegion : IDisposable
{
    public const int HeaderSize = 64;
    private const uint Magic = 0x54554D47; // "GMUT"
    private const ushort Version = 1;

    private readonly MappedRegion _map;
    private int _references = 1; // the owner's, given up by Dispose
    private int _disposed;

    private IpcRegion(string name, MappedRegion map)
    {
        Name = name;
        _map = map;
    }

    public string Name { get; }

    public byte* Header => _map.Pointer;

    public byte* Body => _map.Pointer + HeaderSize;

    public int ElementSize => *(int*)(Header + 8);

    public long Capacity => *(long*)(Header + 16);

    public static IpcRegion Create(string name, IpcKind kind, int elementSize, long capacity, long bodySize)
    {
        var path = IpcObjects.PathOf(name);
        var temp = $"{path}.{Environment.ProcessId}.{Random.Shared.Next():x}.tmp";
        var map = MappedRegion.CreateNew(temp, HeaderSize + bodySize);
        try
        {
            var h = map.Pointer;
            *(ushort*)(h + 4) = Version;
            *(ushort*)(h + 6) = (ushort)kind;
            *(int*)(h + 8) = elementSize;
            *(long*)(h + 16) = capacity;
            *(long*)(h + 24) = HeaderSize + bodySize;
            Volatile.Write(ref *(uint*)h, Magic);
            if (Link(temp, path) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw errno == 17 ? new IpcObjectExistsException(name) : new IpcException(name, $"Could not create '{name}' ({path}): errno {errno}");
            }

            return new IpcRegion(name, map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static IpcRegion Open(string name, IpcKind kind, int? elementSize)
    {
        var path = IpcObjects.PathOf(name);
        MappedRegion map;
        try
        {
            if (new FileInfo(path) is { Exists: true, Length: < HeaderSize })
            {
                throw new IpcLayoutMismatchException(name, $"'{name}' ({path}) is not a Gamut cross-process object (too short)");
            }

            map = MappedRegion.OpenExisting(path);
        }
        catch (FileNotFoundException)
        {
            throw new IpcObjectNotFoundException(name, KindName(kind));
        }

        try
        {
            var h = map.Pointer;
            if (*(uint*)h != Magic || *(ushort*)(h + 4) != Version)
            {
                throw new IpcLayoutMismatchException(name, $"'{name}' ({path}) is not a Gamut cross-process object of this version");
            }

            var actual = (IpcKind)(*(ushort*)(h + 6));
            if (actual != kind)
            {
                throw new IpcLayoutMismatchException(name, $"'{name}' is a {KindName(actual)}, not a {KindName(kind)}");
            }

            if (elementSize is { } size && *(int*)(h + 8) != size)
            {
                throw new IpcLayoutMismatchException(name, $"The {KindName(kind)} '{name}' holds {*(int*)(h + 8)}-byte elements; it was opened for {size}-byte elements");
            }

            if (*(long*)(h + 24) != map.Length)
            {
                throw new IpcLayoutMismatchException(name, $"'{name}' is {map.Length} bytes; its header says {*(long*)(h + 24)}");
            }

            return new IpcRegion(name, map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public static string KindName(IpcKind kind) => kind switch
    {
        IpcKind.Lock => "lock",
        IpcKind.Event => "event",
        IpcKind.Queue => "queue",
        IpcKind.Array => "shared array",
        _ => "object",
    };

    /// <summary>Whether <see cref="Dispose"/> was called (the mapping may live on until its last user lets go).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Takes a reference for one operation; dispose the result when the operation is over.</summary>
    /// <exception cref="ObjectDisposedException">The object was disposed.</exception>
    public Reference Use() => TryAddReference() ? new Reference(this) : throw Disposed();

    /// <summary>Takes a reference, unless the object was disposed.</summary>
    public bool TryAddReference()
    {
        while (true)
        {
            var n = Volatile.Read(ref _references);
            if (n == 0 || IsDisposed)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    /// <summary>Takes one more reference; only for a caller that holds one already (so the mapping cannot be gone).</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Gives a reference back; the last one unmaps.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _map.Dispose();
        }
    }

    /// <summary>The error for a use after <see cref="Dispose"/>.</summary>
    public ObjectDisposedException Disposed() => new(Name, $"The cross-process object '{Name}' was disposed.");

    /// <summary>Refuses new operations, fails pending waits, and unmaps once the operations in flight are over.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        FutexPump.Abandon(this);
        Release();
    }

    /// <summary>A reference held for one operation.</summary>
    public readonly struct Reference(IpcRegion region) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => region.Release();
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string newPath);
}
