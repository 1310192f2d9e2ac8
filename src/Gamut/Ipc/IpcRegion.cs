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
internal sealed unsafe partial class IpcRegion : IDisposable
{
    public const int HeaderSize = 64;
    private const uint Magic = 0x54554D47; // "GMUT"
    private const ushort Version = 1;

    private readonly MappedRegion _map;

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

    public void Dispose() => _map.Dispose();

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string newPath);
}
