using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gamut.Ipc;

/// <summary>Turns queue items into bytes and back. The built-in ones cover bytes, strings, unmanaged values and JSON.</summary>
/// <typeparam name="T">The item type.</typeparam>
public abstract class IpcCodec<T>
{
    /// <summary>The codec <see cref="IpcQueue{T}"/> uses when none is given: raw bytes for <c>byte[]</c>, UTF-8 for
    /// strings, the value's own bytes for unmanaged structs, and System.Text.Json for anything else.</summary>
    public static IpcCodec<T> Default { get; } = CreateDefault();

    /// <summary>Writes <paramref name="value"/> into <paramref name="destination"/>.</summary>
    /// <param name="value">The item.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>The bytes written, or -1 when <paramref name="destination"/> is too small.</returns>
    public abstract int Write(T value, Span<byte> destination);

    /// <summary>Reads an item.</summary>
    /// <param name="source">Its bytes.</param>
    public abstract T Read(ReadOnlySpan<byte> source);

    private static IpcCodec<T> CreateDefault()
    {
        if (typeof(T) == typeof(byte[]))
        {
            return (IpcCodec<T>)(object)new BytesCodec();
        }

        if (typeof(T) == typeof(string))
        {
            return (IpcCodec<T>)(object)new Utf8Codec();
        }

        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            return (IpcCodec<T>)Activator.CreateInstance(typeof(UnmanagedCodec<>).MakeGenericType(typeof(T)))!;
        }

        return new JsonCodec<T>();
    }
}

internal sealed class BytesCodec : IpcCodec<byte[]>
{
    public override int Write(byte[] value, Span<byte> destination) =>
        value.AsSpan().TryCopyTo(destination) ? value.Length : -1;

    public override byte[] Read(ReadOnlySpan<byte> source) => source.ToArray();
}

internal sealed class Utf8Codec : IpcCodec<string>
{
    public override int Write(string value, Span<byte> destination) =>
        Encoding.UTF8.TryGetBytes(value, destination, out var n) ? n : -1;

    public override string Read(ReadOnlySpan<byte> source) => Encoding.UTF8.GetString(source);
}

internal sealed class UnmanagedCodec<TValue> : IpcCodec<TValue>
    where TValue : unmanaged
{
    public override int Write(TValue value, Span<byte> destination) =>
        MemoryMarshal.TryWrite(destination, in value) ? Unsafe.SizeOf<TValue>() : -1;

    public override TValue Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<TValue>(source);
}

internal sealed class JsonCodec<TValue> : IpcCodec<TValue>
{
    public override int Write(TValue value, Span<byte> destination)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        return bytes.AsSpan().TryCopyTo(destination) ? bytes.Length : -1;
    }

    public override TValue Read(ReadOnlySpan<byte> source) => JsonSerializer.Deserialize<TValue>(source)!;
}
