using System.Buffers;

namespace Gamut.Jobs;

/// <summary>Conveniences over <see cref="IJobSerializer"/>.</summary>
public static class JobSerializerExtensions
{
    /// <summary>Serializes <paramref name="value"/> into a new array.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="serializer">The serializer.</param>
    /// <param name="value">The value.</param>
    public static byte[] SerializeToArray<T>(this IJobSerializer serializer, T value)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        var buffer = new ArrayBufferWriter<byte>(256);
        serializer.Serialize(buffer, value);
        return buffer.WrittenSpan.ToArray();
    }
}
