using System.Buffers;
using System.Text;
using System.Text.Json;
using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// <c>--json</c>: one JSON object per finished job, one per line, for programs to read — its number, inputs,
/// command line, slot, exit code, signal, whether it timed out, start time, duration in seconds, attempts, and
/// its stdout and stderr as text.
/// </summary>
internal sealed class JsonOutput(OutputStreams streams, bool keepOrder) : OrderedOutput(streams, keepOrder)
{
    private static readonly UTF8Encoding Utf8 = new(false, false);
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    protected override void Write(FinishedJob job)
    {
        _buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var o = job.Outcome;
            w.WriteStartObject();
            w.WriteNumber("seq", job.Job.Seq);
            w.WriteStartArray("input");
            foreach (var v in job.Job.Values)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            w.WriteString("command", job.Job.CommandLine);
            w.WriteNumber("slot", job.Job.Slot);
            w.WriteNumber("exit", job.ExitValue);
            if (job.Signal != 0)
            {
                w.WriteNumber("signal", job.Signal);
            }
            else
            {
                w.WriteNull("signal");
            }

            w.WriteBoolean("timed_out", o.TimedOut);
            w.WriteString("start", o.StartTime.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNumber("duration", Math.Round(o.Duration.TotalSeconds, 6));
            w.WriteNumber("attempts", job.Job.Attempt);
            w.WriteString("stdout", Utf8.GetString(o.Stdout));
            w.WriteString("stderr", Utf8.GetString(o.Stderr));
            if (job.Error is not null)
            {
                w.WriteString("error", job.Error);
            }

            w.WriteEndObject();
        }

        Streams.Write(false, _buffer.WrittenSpan);
        Streams.Write(false, "\n"u8);
    }
}
