namespace Gamut.Processes.Internal;

/// <summary>Captured output: a growing byte array, copied once to its exact length at the end.</summary>
internal sealed class CaptureBuffer
{
    private byte[] _bytes = [];
    private int _length;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _bytes.Length)
        {
            var size = Math.Max(Math.Max(_bytes.Length * 2, _length + data.Length), 256);
            if (size > Array.MaxLength)
            {
                size = Math.Max(Array.MaxLength, _length + data.Length);
            }

            Array.Resize(ref _bytes, size);
        }

        data.CopyTo(_bytes.AsSpan(_length));
        _length += data.Length;
    }

    public byte[] ToArray() => _length == _bytes.Length ? _bytes : _bytes.AsSpan(0, _length).ToArray();
}
