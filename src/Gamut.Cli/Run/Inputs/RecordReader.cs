using System.Text;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// Reads input records from a stream: one per line (the newline removed, a carriage return kept, as GNU
/// parallel does), one per NUL-terminated string with <c>-0</c>, or one per any delimiter with <c>-d</c>. A last record without its terminator
/// counts; an empty stream has none. Lines of any length; bytes that are not UTF-8 become U+FFFD.
/// </summary>
internal sealed class RecordReader(Stream stream, byte[] separator)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public IEnumerable<string> ReadAll()
    {
        var buffer = new byte[64 * 1024];
        var start = 0;
        var end = 0;
        while (true)
        {
            // Emit every complete record in the buffer.
            while (true)
            {
                var at = buffer.AsSpan(start, end - start).IndexOf(separator);
                if (at < 0)
                {
                    break;
                }

                yield return Utf8.GetString(buffer, start, at);
                start += at + separator.Length;
            }

            // Keep the partial record at the front; grow for long ones.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read <= 0)
            {
                if (end > 0)
                {
                    yield return Utf8.GetString(buffer, 0, end);
                }

                yield break;
            }

            end += read;
        }
    }
}
