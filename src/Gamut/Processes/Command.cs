using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Gamut.Processes.Internal;

namespace Gamut.Processes;

/// <summary>
/// An external command: executable, arguments, working directory, environment, where its standard streams
/// go, and its limits. Immutable: every <c>With…</c> method returns a new command, so one value can be
/// shared and run many times.
/// </summary>
/// <remarks>
/// <para>Arguments go to the executable as they are, one argv element each: no shell parses them, so
/// <c>;</c>, <c>$(…)</c> and globs are plain text. A shell runs only through <see cref="Shell"/>.</para>
/// <para>Each run starts the child in a process group of its own. A stop, a timeout or a cancellation sends
/// SIGTERM to the whole group, waits <see cref="GracePeriod"/>, then sends SIGKILL to the group.</para>
/// </remarks>
public sealed partial class Command
{
    /// <summary>The grace period between SIGTERM and SIGKILL unless a command sets its own: 5 seconds.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(5);

    private string _executable;
    private ImmutableArray<string> _arguments;
    private string? _workingDirectory;
    private ImmutableDictionary<string, string?> _environment = ImmutableDictionary.Create<string, string?>(StringComparer.Ordinal);
    private bool _clearEnvironment;
    private InputSource _stdin = InputSource.Null;
    private OutputTarget _stdout = OutputTarget.Capture;
    private OutputTarget _stderr = OutputTarget.Capture;
    private TimeSpan? _timeout;
    private TimeSpan _gracePeriod = DefaultGracePeriod;
    private long? _outputLimit;
    private bool _throwOnNonZeroExit = true;
    private bool _killOnParentExit = true;
    private bool _stopProcessGroupOnExit = true;
    private ImmutableArray<SafeHandle> _inheritedHandles = [];
    private string? _resolvedPath;

    private Command(string executable, ImmutableArray<string> arguments)
    {
        _executable = executable;
        _arguments = arguments;
    }

    /// <summary>The executable: a path (containing '/'), or a name looked up in the directories of <c>PATH</c>.</summary>
    public string Executable => _executable;

    /// <summary>The arguments, each passed as one argv element (argv[0] is <see cref="Executable"/>).</summary>
    public IReadOnlyList<string> Arguments => _arguments;

    /// <summary>The working directory; the parent's when null.</summary>
    public string? WorkingDirectory => _workingDirectory;

    /// <summary>Environment changes over the inherited environment: a value sets a variable, null removes it.</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentChanges => _environment;

    /// <summary>Whether the child starts from the parent's environment (true) or an empty one (after <see cref="WithClearedEnvironment"/>).</summary>
    public bool InheritsEnvironment => !_clearEnvironment;

    /// <summary>Where standard input comes from (default <see cref="InputSource.Null"/>).</summary>
    public InputSource StandardInput => _stdin;

    /// <summary>Where standard output goes (default <see cref="OutputTarget.Capture"/>).</summary>
    public OutputTarget StandardOutput => _stdout;

    /// <summary>Where standard error goes (default <see cref="OutputTarget.Capture"/>).</summary>
    public OutputTarget StandardError => _stderr;

    /// <summary>How long the command may run before it is stopped; no limit when null.</summary>
    public TimeSpan? Timeout => _timeout;

    /// <summary>How long a stop waits between SIGTERM and SIGKILL (default <see cref="DefaultGracePeriod"/>).</summary>
    public TimeSpan GracePeriod => _gracePeriod;

    /// <summary>The most bytes read from stdout, and from stderr, through the parent; more stops the command. No limit when null.</summary>
    public long? OutputLimit => _outputLimit;

    /// <summary>Whether a non-zero exit (or death by signal) raises <see cref="CommandExitException"/> (default true).</summary>
    public bool ThrowOnNonZeroExit => _throwOnNonZeroExit;

    /// <summary>
    /// Whether the child's process group is stopped when this process exits or is killed, even by SIGKILL
    /// (default true; the name of .NET 11's <c>ProcessStartInfo.KillOnParentExit</c>). A small watchdog process
    /// does it; see docs/processes.md.
    /// </summary>
    public bool KillOnParentExit => _killOnParentExit;

    /// <summary>
    /// Whether processes the command left running in its process group are stopped (SIGTERM, grace, SIGKILL)
    /// when its main process exits (default true). When false, Gamut waits for the output pipes to close.
    /// </summary>
    public bool StopProcessGroupOnExit => _stopProcessGroupOnExit;

    /// <summary>
    /// Descriptors the child inherits beyond stdin, stdout and stderr, at fds 3, 4, … in this order (the name of
    /// .NET 11's <c>ProcessStartInfo.InheritedHandles</c>; the fixed numbering is Gamut's). Every other
    /// descriptor is closed in the child.
    /// </summary>
    public IReadOnlyList<SafeHandle> InheritedHandles => _inheritedHandles;

    /// <summary>A command that runs <paramref name="executable"/> with <paramref name="arguments"/>, no shell involved.</summary>
    /// <param name="executable">A path, or a name looked up in <c>PATH</c>.</param>
    /// <param name="arguments">The arguments, passed as they are.</param>
    /// <exception cref="ArgumentException">The executable is empty, or a string contains NUL or an unpaired surrogate.</exception>
    public static Command Create(string executable, params IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(executable);
        if (executable.Length == 0)
        {
            throw new ArgumentException("The executable cannot be an empty string.", nameof(executable));
        }

        TextChecks.Require(executable, "The executable", nameof(executable));
        return new Command(executable, CheckArguments(arguments));
    }

    /// <summary>
    /// A shell script, run as <c>/bin/sh -c script sh arguments…</c>: the script is one argument, and
    /// <paramref name="arguments"/> are its <c>$1 $2 …</c>, never spliced into its text.
    /// </summary>
    /// <param name="script">The script.</param>
    /// <param name="arguments">Positional parameters for the script.</param>
    public static Command Shell(string script, params IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(script);
        TextChecks.Require(script, "The script", nameof(script));
        return new Command("/bin/sh", ["-c", script, "sh", .. CheckArguments(arguments)]);
    }

    /// <summary>The same command with <paramref name="arguments"/> instead of its arguments.</summary>
    /// <param name="arguments">The arguments, passed as they are.</param>
    public Command WithArguments(params IEnumerable<string> arguments) =>
        With(c => c._arguments = CheckArguments(arguments));

    /// <summary>The same command with <paramref name="arguments"/> appended to its arguments.</summary>
    /// <param name="arguments">More arguments.</param>
    public Command WithMoreArguments(params IEnumerable<string> arguments) =>
        With(c => c._arguments = c._arguments.AddRange(CheckArguments(arguments)));

    /// <summary>The same command run in <paramref name="path"/> (the parent's directory when null).</summary>
    /// <param name="path">The working directory. A relative executable path containing '/' is found relative to it.</param>
    public Command WithWorkingDirectory(string? path)
    {
        if (path is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            TextChecks.Require(path, "The working directory", nameof(path));
        }

        return With(c => c._workingDirectory = path);
    }

    /// <summary>The same command with the variable <paramref name="name"/> set to <paramref name="value"/> (removed when null).</summary>
    /// <param name="name">The name: not empty, without '=' or NUL.</param>
    /// <param name="value">The value, or null to remove the variable.</param>
    public Command WithEnvironment(string name, string? value)
    {
        TextChecks.RequireEnvironmentName(name, nameof(name));
        if (value is not null)
        {
            TextChecks.Require(value, $"The value of environment variable '{name}'", nameof(value));
        }

        return With(c => c._environment = c._environment.SetItem(name, value));
    }

    /// <summary>The same command with several variables set (or removed, for null values).</summary>
    /// <param name="variables">Names and values.</param>
    public Command WithEnvironment(IEnumerable<KeyValuePair<string, string?>> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var result = this;
        foreach (var (name, value) in variables)
        {
            result = result.WithEnvironment(name, value);
        }

        return result;
    }

    /// <summary>The same command without the variable <paramref name="name"/>.</summary>
    /// <param name="name">The name.</param>
    public Command WithoutEnvironmentVariable(string name) => WithEnvironment(name, null);

    /// <summary>
    /// The same command started from an empty environment; only the variables set with
    /// <see cref="WithEnvironment(string, string?)"/> are passed (an executable name is then looked up in
    /// the <c>PATH</c> set there, or in <c>/usr/bin:/bin</c> when none is).
    /// </summary>
    public Command WithClearedEnvironment() => With(c => c._clearEnvironment = true);

    /// <summary>The same command reading its standard input from <paramref name="source"/>.</summary>
    /// <param name="source">The source.</param>
    public Command WithStandardInput(InputSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return With(c => c._stdin = source);
    }

    /// <summary>The same command writing its standard output to <paramref name="target"/>.</summary>
    /// <param name="target">The target (<see cref="OutputTarget.StandardOutput"/> is for stderr only).</param>
    public Command WithStandardOutput(OutputTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind == OutputTarget.TargetKind.StandardOutput)
        {
            throw new ArgumentException("OutputTarget.StandardOutput redirects standard error; standard output cannot go to itself.", nameof(target));
        }

        return With(c => c._stdout = target);
    }

    /// <summary>The same command writing its standard error to <paramref name="target"/>.</summary>
    /// <param name="target">The target; <see cref="OutputTarget.StandardOutput"/> merges it into stdout.</param>
    public Command WithStandardError(OutputTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return With(c => c._stderr = target);
    }

    /// <summary>The same command, stopped after <paramref name="timeout"/> (null or infinite: never).</summary>
    /// <param name="timeout">A positive duration, <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>, or null.</param>
    public Command WithTimeout(TimeSpan? timeout)
    {
        if (timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            timeout = null;
        }

        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A timeout must be positive (or null for none).");
        }

        return With(c => c._timeout = timeout);
    }

    /// <summary>
    /// The same command with a grace period of <paramref name="gracePeriod"/> between SIGTERM and SIGKILL.
    /// Zero kills at once. A grace period longer than the timeout is allowed: the command then gets
    /// SIGTERM at its timeout and SIGKILL a grace period later.
    /// </summary>
    /// <param name="gracePeriod">Zero or more.</param>
    public Command WithGracePeriod(TimeSpan gracePeriod)
    {
        if (gracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(gracePeriod), gracePeriod, "A grace period cannot be negative.");
        }

        return With(c => c._gracePeriod = gracePeriod);
    }

    /// <summary>The same command allowed at most <paramref name="bytes"/> bytes on stdout and on stderr (each) through the parent.</summary>
    /// <param name="bytes">Zero or more (zero: any output fails it); null for no limit.</param>
    public Command WithOutputLimit(long? bytes)
    {
        if (bytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "An output limit cannot be negative.");
        }

        return With(c => c._outputLimit = bytes);
    }

    /// <summary>The same command, raising (true) or not raising (false) <see cref="CommandExitException"/> on a non-zero exit.</summary>
    /// <param name="value">Whether a non-zero exit is an error.</param>
    public Command WithThrowOnNonZeroExit(bool value) => With(c => c._throwOnNonZeroExit = value);

    /// <summary>The same command, stopped (true) or left running (false) when this process exits or is killed.</summary>
    /// <param name="value">Whether to stop the child's group when this process dies.</param>
    public Command WithKillOnParentExit(bool value) => With(c => c._killOnParentExit = value);

    /// <summary>The same command, with processes left in its group stopped (true) or left alone (false) when its main process exits.</summary>
    /// <param name="value">Whether to stop the rest of the group on exit.</param>
    public Command WithStopProcessGroupOnExit(bool value) => With(c => c._stopProcessGroupOnExit = value);

    /// <summary>
    /// Where a caller already found <see cref="Executable"/> (a full path): the spawner hands it to the kernel without
    /// searching <c>PATH</c> again; argv[0] stays <see cref="Executable"/>. For callers that run one program many
    /// times (<c>gamut run</c> resolves each program once per run, as a shell's command hash does).
    /// </summary>
    internal string? ResolvedPath => _resolvedPath;

    /// <summary>The same command, with its executable already found at <paramref name="path"/> (see <see cref="ResolvedPath"/>).</summary>
    internal Command WithResolvedPath(string path) => With(c => c._resolvedPath = path);

    /// <summary>The same command passing <paramref name="handles"/> to the child as fds 3, 4, … (kept open by the caller until it starts).</summary>
    /// <param name="handles">Open descriptors.</param>
    public Command WithInheritedHandles(params IEnumerable<SafeHandle> handles)
    {
        ArgumentNullException.ThrowIfNull(handles);
        var list = handles.ToImmutableArray();
        if (list.Any(h => h is null || h.IsInvalid))
        {
            throw new ArgumentException("Every inherited handle must be a valid, open handle.", nameof(handles));
        }

        return With(c => c._inheritedHandles = list);
    }

    /// <summary>A pipeline: <paramref name="left"/>'s stdout feeds <paramref name="right"/>'s stdin, child to child.</summary>
    /// <param name="left">The upstream command.</param>
    /// <param name="right">The downstream command.</param>
    public static Pipeline operator |(Command left, Command right) => Pipeline.Of(left, right);

    /// <summary>The command line as a POSIX shell would read it back (for display only; it is never run through a shell).</summary>
    public override string ToString() =>
        string.Join(' ', _arguments.Prepend(_executable).Select(TextChecks.ShellQuote));

    private static ImmutableArray<string> CheckArguments(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var list = arguments.ToImmutableArray();
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentNullException(nameof(arguments), $"Argument {i} is null.");
            }

            TextChecks.Require(list[i], $"Argument {i}", nameof(arguments));
        }

        return list;
    }

    private Command With(Action<Command> change)
    {
        var copy = (Command)MemberwiseClone();
        change(copy);
        return copy;
    }
}
