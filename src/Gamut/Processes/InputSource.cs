using System.Text;

namespace Gamut.Processes;

/// <summary>
/// Where a command's standard input comes from. The default is <see cref="Null"/> (an empty stdin), so a
/// child never waits on a terminal or on its parent's stdin by accident.
/// </summary>
public abstract class InputSource
{
    private protected InputSource()
    {
    }

    /// <summary>An empty stdin (<c>/dev/null</c>).</summary>
    public static InputSource Null { get; } = new SimpleInput(InputKind.Null);

    /// <summary>The parent's own stdin, shared with the child.</summary>
    public static InputSource Inherit { get; } = new SimpleInput(InputKind.Inherit);

    /// <summary>
    /// A pipe the caller writes through <see cref="ChildProcess.StandardInput"/> after
    /// <see cref="Command.Start"/> (closing it ends the child's input). When run to completion, stdin is empty.
    /// </summary>
    public static InputSource Pipe { get; } = new SimpleInput(InputKind.Pipe);

    internal abstract InputKind Kind { get; }

    /// <summary>Text, encoded (UTF-8 without a BOM by default) and written to the child, then stdin is closed.</summary>
    /// <param name="text">The text.</param>
    /// <param name="encoding">The encoding; UTF-8 without BOM when null.</param>
    public static InputSource FromText(string text, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new BytesInput((encoding ?? new UTF8Encoding(false)).GetBytes(text));
    }

    /// <summary>Bytes written to the child, then stdin is closed.</summary>
    /// <param name="bytes">The bytes (not copied: do not change them while the command runs).</param>
    public static InputSource FromBytes(ReadOnlyMemory<byte> bytes) => new BytesInput(bytes);

    /// <summary>
    /// A stream copied to the child until its end, then stdin is closed. If the child stops reading early
    /// (closes stdin, exits), the copy stops quietly. If the stream throws, the command is stopped and
    /// fails with <see cref="CommandInputException"/>.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="leaveOpen">Whether to leave the stream open afterwards.</param>
    public static InputSource FromStream(Stream stream, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        return new StreamInput(stream, leaveOpen);
    }

    /// <summary>A file opened as the child's stdin directly (no copying through the parent).</summary>
    /// <param name="path">The file.</param>
    public static InputSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileInput(Path.GetFullPath(path));
    }

    /// <summary>
    /// Another command's standard output, connected by a pipe from child to child (the same as
    /// <c>upstream | command</c>). The upstream command is started, stopped and awaited with this one.
    /// </summary>
    /// <param name="upstream">The command whose stdout feeds this one.</param>
    public static InputSource FromCommand(Command upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return new CommandInput(upstream);
    }

    internal enum InputKind
    {
        Null,
        Inherit,
        Pipe,
        Bytes,
        Stream,
        File,
        Command,
    }

    internal sealed class SimpleInput(InputKind kind) : InputSource
    {
        internal override InputKind Kind => kind;

        public override string ToString() => kind.ToString();
    }

    internal sealed class BytesInput(ReadOnlyMemory<byte> bytes) : InputSource
    {
        internal override InputKind Kind => InputKind.Bytes;

        public ReadOnlyMemory<byte> Bytes => bytes;
    }

    internal sealed class StreamInput(Stream stream, bool leaveOpen) : InputSource
    {
        internal override InputKind Kind => InputKind.Stream;

        public Stream Stream => stream;

        public bool LeaveOpen => leaveOpen;
    }

    internal sealed class FileInput(string path) : InputSource
    {
        internal override InputKind Kind => InputKind.File;

        public string Path => path;
    }

    internal sealed class CommandInput(Command upstream) : InputSource
    {
        internal override InputKind Kind => InputKind.Command;

        public Command Upstream => upstream;
    }
}
