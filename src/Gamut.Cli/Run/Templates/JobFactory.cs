using System.Globalization;
using System.Text;
using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Inputs;
using Gamut.Cli.Run.Options;
using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Templates;

/// <summary>
/// Makes the job for an input record: composes its command line from the template, decides whether it needs the
/// shell (see <see cref="DirectExec"/>), and fills in the <see cref="CommandSpec"/> — the environment GNU parallel
/// gives its jobs (PARALLEL_SEQ, PARALLEL_JOBSLOT, PARALLEL_PID), the timeout and the grace period.
/// </summary>
internal sealed class JobFactory
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly CommandTemplate _template;
    private readonly CommandTemplate? _tagTemplate;
    private readonly bool _tagValues;
    private readonly DirectExec? _direct;
    private readonly string _shell;
    private readonly double? _grace;
    private readonly string _pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public JobFactory(RunOptions options, string shell, DirectExec? direct, IReadOnlyList<string>? headerNames = null)
    {
        var names = new ReplacementNames(options.Replacements, headerNames ?? []);
        _template = CommandTemplate.Parse(options.Command, names, options.ArgsMode == ArgsMode.Context);
        _tagTemplate = options.TagString is null ? null : CommandTemplate.Parse([options.TagString], names, contextReplace: false);
        _tagValues = options.Tag && options.TagString is null;
        _direct = direct;
        _shell = shell;
        _grace = options.GraceSeconds;
    }

    /// <summary>The command template (its line length figures fill -m/-X/--xargs lines).</summary>
    public CommandTemplate Template => _template;

    public PlannedJob Create(InputRecord record, int slot, double? timeoutSeconds)
    {
        var line = _template.Compose(record.Values, record.Seq, slot);
        var split = _direct?.TrySplit(line);
        var env = new Dictionary<string, string?>(3, StringComparer.Ordinal)
        {
            ["PARALLEL_SEQ"] = record.Seq.ToString(CultureInfo.InvariantCulture),
            ["PARALLEL_JOBSLOT"] = slot.ToString(CultureInfo.InvariantCulture),
            ["PARALLEL_PID"] = _pid,
        };
        var spec = split is { } s
            ? new CommandSpec { Executable = s.Argv[0], Arguments = s.Argv[1..], Environment = env, TimeoutSeconds = timeoutSeconds, GraceSeconds = _grace, Stdin = record.Stdin }
            : new CommandSpec { Executable = line, Shell = _shell, Environment = env, TimeoutSeconds = timeoutSeconds, GraceSeconds = _grace, Stdin = record.Stdin };
        return new PlannedJob
        {
            Seq = record.Seq,
            Values = record.Values,
            CommandLine = line,
            Slot = slot,
            Spec = spec,
            Program = split?.Program,
            Tag = Tag(record, slot),
            Sent = record.Stdin?.Length ?? 0,
        };
    }

    private byte[]? Tag(InputRecord record, int slot)
    {
        string? tag = null;
        if (_tagTemplate is not null)
        {
            tag = _tagTemplate.ComposeUnquoted(record.Values, record.Seq, slot);
        }
        else if (_tagValues)
        {
            tag = string.Join(' ', record.Values);
        }

        return tag is null ? null : Utf8.GetBytes(tag + "\t");
    }
}
