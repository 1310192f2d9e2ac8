using System.Globalization;
using System.Text;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.JobLog;

/// <summary>
/// Writes <c>--joblog</c> in GNU parallel's format: a header line, then one tab-separated line per finished job
/// (Seq, Host, Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command), flushed as each job ends so the log
/// is whole up to the last finished job even when the run is interrupted. Newlines in a command become NUL.
/// </summary>
internal sealed class JobLogWriter : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly FileStream _file;
    private readonly StringBuilder _line = new(256);

    private JobLogWriter(FileStream file) => _file = file;

    /// <summary>
    /// Opens the log: appended to when resuming a log that has lines, else started afresh with the header; with
    /// <paramref name="appendWithoutHeader"/> (<c>--joblog +FILE</c>) appended to and never given a header, as parallel does.
    /// </summary>
    public static JobLogWriter Open(string path, bool append, bool appendWithoutHeader = false)
    {
        try
        {
            var exists = appendWithoutHeader || (append && File.Exists(path) && new FileInfo(path).Length > 0);
            var file = new FileStream(path, exists ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
            var writer = new JobLogWriter(file);
            if (!exists)
            {
                writer.Write("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
            }

            return writer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to --joblog '{path}': {e.Message}");
        }
    }

    public void Append(long seq, DateTimeOffset start, TimeSpan runtime, long sent, long received, int exitValue, int signal, string command)
    {
        var c = CultureInfo.InvariantCulture;
        _line.Clear();
        _line.Append(seq.ToString(c)).Append("\t:\t")
            .Append((start.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", c)).Append('\t')
            .Append(runtime.TotalSeconds.ToString("F3", c).PadLeft(10)).Append('\t').Append(sent.ToString(c)).Append('\t').Append(received.ToString(c)).Append('\t')
            .Append(exitValue.ToString(c)).Append('\t')
            .Append(signal.ToString(c)).Append('\t')
            .Append(command.Replace('\n', '\0')).Append('\n');
        Write(_line.ToString());
    }

    public void Dispose() => _file.Dispose();

    private void Write(string text)
    {
        _file.Write(Utf8.GetBytes(text));
        _file.Flush();
    }
}
