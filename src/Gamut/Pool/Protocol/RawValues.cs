using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gamut.Jobs;

namespace Gamut.Pool.Protocol;

/// <summary>
/// Primitive numbers as their raw bytes on the private channel, instead of JSON text. Only with
/// <see cref="JsonJobSerializer.Default"/>, whose JSON for these types round-trips them exactly, so the value a job
/// sees is the same either way; the bytes never leave this machine (both ends share its byte order). Floating-point
/// values that JSON refuses (NaN, infinities) are not sent raw: the caller falls back to the serializer, which reports
/// them as it always has.
/// </summary>
internal static class RawValues<T>
{
    /// <summary>Whether <typeparamref name="T"/> travels raw (a primitive number or a bool).</summary>
    public static readonly bool Supported =
        typeof(T) == typeof(int) || typeof(T) == typeof(long) || typeof(T) == typeof(uint) || typeof(T) == typeof(ulong) ||
        typeof(T) == typeof(short) || typeof(T) == typeof(ushort) || typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte) ||
        typeof(T) == typeof(double) || typeof(T) == typeof(float) || typeof(T) == typeof(bool);

    private static readonly bool IsFloatingPoint = typeof(T) == typeof(double) || typeof(T) == typeof(float);

    /// <summary>Whether these values can travel raw, given whether the serializer is <see cref="JsonJobSerializer.Default"/>.</summary>
    public static bool CanEncode(bool defaultJson, ReadOnlySpan<T> values) =>
        Supported && defaultJson && (!IsFloatingPoint || AllFinite(values));

    /// <summary>The values' bytes, to append to a frame.</summary>
    public static ReadOnlySpan<byte> Bytes(ReadOnlySpan<T> values) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(values)), values.Length * Unsafe.SizeOf<T>());

    /// <summary>The values' bytes as a new array.</summary>
    public static byte[] ToArray(ReadOnlySpan<T> values) => Bytes(values).ToArray();

    /// <summary>Reads <paramref name="count"/> values.</summary>
    /// <exception cref="JobSerializationException">The bytes are not <paramref name="count"/> values.</exception>
    public static T[] Decode(ReadOnlySpan<byte> bytes, int count)
    {
        var values = new T[count];
        DecodeInto(bytes, values);
        return values;
    }

    /// <summary>Reads as many values as <paramref name="destination"/> holds.</summary>
    /// <exception cref="JobSerializationException">The bytes are not that many values.</exception>
    public static void DecodeInto(ReadOnlySpan<byte> bytes, Span<T> destination)
    {
        NotRawUnlessSupported();
        if (bytes.Length != destination.Length * Unsafe.SizeOf<T>())
        {
            throw new JobSerializationException($"{bytes.Length} bytes are not {destination.Length} raw {typeof(T).Name} values");
        }

        bytes.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(destination)), bytes.Length));
        if (typeof(T) == typeof(bool))
        {
            // A bool is one byte of 0 or 1; anything else is not a value this channel writes.
            foreach (var b in bytes)
            {
                if (b > 1)
                {
                    throw new JobSerializationException("a raw bool that is neither 0 nor 1");
                }
            }
        }
    }

    /// <summary>Reads one value.</summary>
    public static T DecodeOne(ReadOnlySpan<byte> bytes)
    {
        NotRawUnlessSupported();
        if (bytes.Length != Unsafe.SizeOf<T>() || (typeof(T) == typeof(bool) && bytes[0] > 1))
        {
            throw new JobSerializationException($"{bytes.Length} bytes are not one raw {typeof(T).Name}");
        }

        return Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(bytes));
    }

    // The other end says "raw" for a type that never travels raw: refuse it (never read bytes as a reference).
    private static void NotRawUnlessSupported()
    {
        if (!Supported)
        {
            throw new JobSerializationException($"raw bytes arrived for a {typeof(T).Name}, which never travels raw");
        }
    }

    private static bool AllFinite(ReadOnlySpan<T> values)
    {
        if (typeof(T) == typeof(double))
        {
            foreach (var v in MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(values)), values.Length))
            {
                if (!double.IsFinite(v))
                {
                    return false;
                }
            }
        }
        else if (typeof(T) == typeof(float))
        {
            foreach (var v in MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(values)), values.Length))
            {
                if (!float.IsFinite(v))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
