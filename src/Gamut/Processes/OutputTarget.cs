namespace Gamut.Processes;

/// <summary>
/// Where a command's standard output or standard error goes. The default is <see cref="Capture"/>.
/// Targets that pass through the parent (capture, stream, lines) count toward <see cref="Command.OutputLimit"/>;
/// the others are the child's own descriptors and cost the parent nothing.
/// </summary>
public abstract class OutputTarget
{
    private protected OutputTarget()
    {
    }

    /// <summary>
    /// Kept in memory for <see cref="CommandResult"/> (run to completion), or offered as a stream and as lines
    /// on <see cref="ChildProcess"/> (started); what is not read there is captured when the process is awaited.
    /// </summary>
    public static OutputTarget Capture { get; } = new SimpleTarget(TargetKind.Capture);

    /// <summary>Discarded (<c>/dev/null</c>).</summary>
    public static OutputTarget Null { get; } = new SimpleTarget(TargetKind.Null);

    /// <summary>The parent's own stdout (or stderr), shared with the child.</summary>
    public static OutputTarget Inherit { get; } = new SimpleTarget(TargetKind.Inherit);

    /// <summary>For standard error only: the same place as standard output (the shell's <c>2&gt;&amp;1</c>).</summary>
    public static OutputTarget StandardOutput { get; } = new SimpleTarget(TargetKind.StandardOutput);

    internal abstract TargetKind Kind { get; }

    /// <summary>Copied into <paramref name="stream"/> as it arrives (asynchronously).</summary>
    /// <param name="stream">A writable stream; it is flushed, not closed, at the end.</param>
    public static OutputTarget ToStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        return new StreamTarget(stream);
    }

    /// <summary>A file opened as the child's descriptor directly (no copying through the parent).</summary>
    /// <param name="path">The file; created if missing.</param>
    /// <param name="append">Append instead of truncating.</param>
    public static OutputTarget ToFile(string path, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileTarget(Path.GetFullPath(path), append);
    }

    /// <summary>Each line (UTF-8, without its line ending) passed to <paramref name="onLine"/>, in order, one at a time.</summary>
    /// <param name="onLine">Called for each line.</param>
    public static OutputTarget ToLines(Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        return new LinesTarget((line, _) =>
        {
            onLine(line);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Each line (UTF-8, without its line ending) awaited in <paramref name="onLine"/>, in order; slow handling slows the child.</summary>
    /// <param name="onLine">Called for each line with the command's cancellation token.</param>
    public static OutputTarget ToLines(Func<string, CancellationToken, ValueTask> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        return new LinesTarget(onLine);
    }

    internal enum TargetKind
    {
        Capture,
        Null,
        Inherit,
        StandardOutput,
        Stream,
        File,
        Lines,
    }

    internal sealed class SimpleTarget(TargetKind kind) : OutputTarget
    {
        internal override TargetKind Kind => kind;

        public override string ToString() => kind.ToString();
    }

    internal sealed class StreamTarget(Stream stream) : OutputTarget
    {
        internal override TargetKind Kind => TargetKind.Stream;

        public Stream Stream => stream;
    }

    internal sealed class FileTarget(string path, bool append) : OutputTarget
    {
        internal override TargetKind Kind => TargetKind.File;

        public string Path => path;

        public bool Append => append;
    }

    internal sealed class LinesTarget(Func<string, CancellationToken, ValueTask> onLine) : OutputTarget
    {
        internal override TargetKind Kind => TargetKind.Lines;

        public Func<string, CancellationToken, ValueTask> OnLine => onLine;
    }
}
