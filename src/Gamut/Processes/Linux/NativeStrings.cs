using System.Runtime.InteropServices;
using System.Text;

namespace Gamut.Processes.Linux;

/// <summary>
/// A NULL-terminated array of NUL-terminated UTF-8 strings (argv, envp) in one native allocation.
/// Callers have already refused strings containing NUL.
/// </summary>
internal unsafe sealed class NativeStrings : IDisposable
{
    private void* _block;

    private NativeStrings(void* block, byte** pointers)
    {
        _block = block;
        Pointers = pointers;
    }

    /// <summary>The array, terminated by a null pointer.</summary>
    public byte** Pointers { get; }

    /// <summary>Builds argv: <paramref name="first"/> then <paramref name="rest"/>.</summary>
    public static NativeStrings FromArguments(string first, IReadOnlyList<string> rest)
    {
        var count = rest.Count + 1;
        long bytes = Encoding.UTF8.GetByteCount(first) + 1;
        for (var i = 0; i < rest.Count; i++)
        {
            bytes += Encoding.UTF8.GetByteCount(rest[i]) + 1;
        }

        var result = Allocate(count, bytes, out var cursor);
        result.Pointers[0] = Put(first, ref cursor);
        for (var i = 0; i < rest.Count; i++)
        {
            result.Pointers[i + 1] = Put(rest[i], ref cursor);
        }

        return result;
    }

    /// <summary>Builds envp from name/value pairs as <c>NAME=VALUE</c>.</summary>
    public static NativeStrings FromEnvironment(IReadOnlyList<KeyValuePair<string, string>> variables)
    {
        long bytes = 0;
        foreach (var (name, value) in variables)
        {
            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
        }

        var result = Allocate(variables.Count, bytes, out var cursor);
        for (var i = 0; i < variables.Count; i++)
        {
            var (name, value) = variables[i];
            result.Pointers[i] = cursor;
            cursor += Encoding.UTF8.GetBytes(name, new Span<byte>(cursor, int.MaxValue));
            *cursor++ = (byte)'=';
            cursor += Encoding.UTF8.GetBytes(value, new Span<byte>(cursor, int.MaxValue));
            *cursor++ = 0;
        }

        return result;
    }

    /// <summary>One NUL-terminated UTF-8 string (a path), freed with <see cref="NativeMemory.Free"/>.</summary>
    public static byte* Utf8(string s)
    {
        var length = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.Free(_block);
            _block = null;
        }
    }

    private static NativeStrings Allocate(int count, long stringBytes, out byte* cursor)
    {
        var pointerBytes = (count + 1) * sizeof(byte*);
        var block = NativeMemory.Alloc((nuint)(pointerBytes + stringBytes));
        var pointers = (byte**)block;
        pointers[count] = null;
        cursor = (byte*)block + pointerBytes;
        return new NativeStrings(block, pointers);
    }

    private static byte* Put(string s, ref byte* cursor)
    {
        var start = cursor;
        cursor += Encoding.UTF8.GetBytes(s, new Span<byte>(cursor, int.MaxValue));
        *cursor++ = 0;
        return start;
    }
}
