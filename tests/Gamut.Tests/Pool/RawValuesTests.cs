using Gamut.Jobs;
using Gamut.Pool.Protocol;

namespace Gamut.Tests.Pool;

/// <summary>How primitive numbers travel raw on the pool's channel, and what is refused.</summary>
public sealed class RawValuesTests
{
    [Fact]
    public void Only_primitive_numbers_with_the_default_serializer_travel_raw_and_never_a_value_json_refuses()
    {
        Assert.True(RawValues<int>.CanEncode(defaultJson: true, [1, 2, 3]));
        Assert.False(RawValues<int>.CanEncode(defaultJson: false, [1, 2, 3]));
        Assert.False(RawValues<string>.CanEncode(defaultJson: true, ["a"]));
        Assert.False(RawValues<decimal>.CanEncode(defaultJson: true, [1m]));
        Assert.True(RawValues<double>.CanEncode(defaultJson: true, [0.5, -0.0, double.MaxValue]));
        Assert.False(RawValues<double>.CanEncode(defaultJson: true, [0.5, double.NaN]));
        Assert.False(RawValues<float>.CanEncode(defaultJson: true, [float.PositiveInfinity]));
    }

    [Fact]
    public void Values_round_trip_bit_for_bit()
    {
        long[] longs = [long.MinValue, -1, 0, long.MaxValue];
        Assert.Equal(longs, RawValues<long>.Decode(RawValues<long>.ToArray(longs), longs.Length));
        double[] doubles = [-0.0, double.Epsilon, 1.0 / 3];
        Assert.Equal(
            doubles.Select(BitConverter.DoubleToInt64Bits),
            RawValues<double>.Decode(RawValues<double>.ToArray(doubles), doubles.Length).Select(BitConverter.DoubleToInt64Bits));
        Assert.True(RawValues<bool>.DecodeOne([1]));
    }

    [Fact]
    public void Bytes_that_are_not_the_values_claimed_are_refused_with_a_serialization_error()
    {
        Assert.Throws<JobSerializationException>(() => RawValues<int>.Decode(new byte[7], 2));
        Assert.Throws<JobSerializationException>(() => RawValues<long>.DecodeOne(new byte[4]));
        Assert.Throws<JobSerializationException>(() => RawValues<bool>.DecodeOne([2]));
        // A peer that says "raw" for a reference type is never believed: its bytes are not read as a reference.
        Assert.Throws<JobSerializationException>(() => RawValues<string>.DecodeOne(new byte[8]));
        Assert.Throws<JobSerializationException>(() => RawValues<object>.Decode(new byte[16], 2));
    }
}
