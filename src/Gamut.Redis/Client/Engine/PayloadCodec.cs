using Gamut.Jobs;

namespace Gamut.Redis.Client.Engine;

/// <summary>Turns inputs into payloads within the deployment's size limit, and payloads back into results.</summary>
internal sealed class PayloadCodec(IJobSerializer serializer, int maxPayloadBytes)
{
    public IJobSerializer Serializer => serializer;

    /// <exception cref="JobSerializationException">The payload is over the limit (or the value does not serialize).</exception>
    public byte[] Serialize<T>(T input)
    {
        var payload = serializer.SerializeToArray(input);
        if (payload.Length > maxPayloadBytes)
        {
            throw new JobSerializationException($"The payload is {payload.Length} bytes, over the limit of {maxPayloadBytes} bytes");
        }

        return payload;
    }

    public T Deserialize<T>(ReadOnlyMemory<byte> body) => serializer.Deserialize<T>(body.Span);
}
