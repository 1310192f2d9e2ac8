using System.Buffers;

namespace Gamut.Jobs;

/// <summary>
/// Turns job inputs and outputs into bytes and back, for executors that cross a process boundary.
/// The default is <see cref="JsonJobSerializer"/>; plug in another to change the wire format.
/// </summary>
/// <remarks>
/// A serializer must never resolve a type named inside the data: the type to produce is always the one the
/// registered job declares.
/// </remarks>
public interface IJobSerializer
{
    /// <summary>A short name for the format, written into envelopes (e.g. <c>json</c>).</summary>
    string Format { get; }

    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="JobSerializationException">The value does not serialize.</exception>
    void Serialize<T>(IBufferWriter<byte> destination, T value);

    /// <summary>Reads a <typeparamref name="T"/> from <paramref name="data"/>.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="data">The bytes.</param>
    /// <exception cref="JobSerializationException">The bytes are not a valid <typeparamref name="T"/>.</exception>
    T Deserialize<T>(ReadOnlySpan<byte> data);
}
