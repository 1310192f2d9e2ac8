using System.IO.MemoryMappedFiles;

namespace Gamut.Ipc.Native;

/// <summary>
/// A file mapped shared into memory, held at a fixed address until disposed. The file lives on tmpfs
/// (/dev/shm) when there is one, so the mapping is plain memory shared between the processes that map it.
/// </summary>
internal sealed unsafe class MappedRegion : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private MappedRegion(MemoryMappedFile file, MemoryMappedViewAccessor view, long length, string path)
    {
        _file = file;
        _view = view;
        Length = length;
        Path = path;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + view.PointerOffset;
    }

    /// <summary>The mapped bytes' first address.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(MappedRegion));

    /// <summary>The mapped length.</summary>
    public long Length { get; }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Maps an open file of at least <paramref name="length"/> bytes (its stream is owned by the region).</summary>
    public static MappedRegion Map(FileStream stream, long length, string path)
    {
        var file = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new MappedRegion(file, view, length, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Creates a new zero-filled file of <paramref name="length"/> bytes at <paramref name="path"/> and maps it.</summary>
    public static MappedRegion CreateNew(string path, long length)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        try
        {
            stream.SetLength(length);
            return Map(stream, length, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Maps an existing file whole.</summary>
    public static MappedRegion OpenExisting(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            return Map(stream, stream.Length, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The directory shared memory files go in: /dev/shm when it exists, else the temp directory.</summary>
    public static string SharedMemoryDirectory { get; } = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_pointer == null)
        {
            return;
        }

        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
