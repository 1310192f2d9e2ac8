using System.Text;

namespace Gamut.Processes.Internal;

/// <summary>
/// Splits a byte stream into UTF-8 lines on '\n', dropping a trailing '\r'. Bytes are split before they
/// are decoded ('\n' never occurs inside a UTF-8 sequence), so a character split across reads is kept whole.
/// Invalid UTF-8 becomes U+FFFD.
/// </summary>
internal sealed class LineSplitter
{
    private byte[] _partial = [];
    private int _partialLength;

    /// <summary>Calls <paramref name="onLine"/> for each complete line in <paramref name="data"/>.</summary>
    public async ValueTask PushAsync(ReadOnlyMemory<byte> data, Func<string, ValueTask> onLine)
    {
        while (true)
        {
            var newline = data.Span.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Keep(data.Span);
                return;
            }

            string line;
            if (_partialLength == 0)
            {
                line = Decode(data.Span[..newline]);
            }
            else
            {
                Keep(data.Span[..newline]);
                line = Decode(_partial.AsSpan(0, _partialLength));
                _partialLength = 0;
            }

            data = data[(newline + 1)..];
            await onLine(line).ConfigureAwait(false);
        }
    }

    /// <summary>The last line, if the stream did not end with '\n'.</summary>
    public string? Flush()
    {
        if (_partialLength == 0)
        {
            return null;
        }

        var line = Decode(_partial.AsSpan(0, _partialLength));
        _partialLength = 0;
        return line;
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty && bytes[^1] == '\r')
        {
            bytes = bytes[..^1];
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (_partialLength + bytes.Length > _partial.Length)
        {
            Array.Resize(ref _partial, Math.Max(_partial.Length * 2, _partialLength + bytes.Length));
        }

        bytes.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += bytes.Length;
    }
}
