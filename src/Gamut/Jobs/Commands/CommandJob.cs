using System.Runtime.InteropServices;
using Gamut.Processes;

namespace Gamut.Jobs.Commands;

/// <summary>
/// The built-in job <c>gamut.command</c>: runs a <see cref="CommandSpec"/> through the subprocess layer and
/// returns a <see cref="CommandOutcome"/>. A non-zero exit or death by a signal is an outcome, not an error;
/// a timeout stops the command's process group (SIGTERM, grace, SIGKILL) and comes back with
/// <see cref="CommandOutcome.TimedOut"/> set. A command that cannot start fails the job with the typed
/// <see cref="CommandStartException"/>; one that writes past its output limit with
/// <see cref="OutputLimitExceededException"/>. Every <see cref="JobRegistry"/> contains this job.
/// </summary>
public sealed class CommandJob : IJob<CommandSpec, CommandOutcome>
{
    /// <summary>The job's registered name.</summary>
    public const string Name = "gamut.command";

    /// <summary>The environment variable that holds the job's id in the command's environment.</summary>
    public const string JobIdVariable = "GAMUT_JOB_ID";

    /// <summary>The environment variable that holds the attempt number (1 for the first) in the command's environment.</summary>
    public const string AttemptVariable = "GAMUT_JOB_ATTEMPT";

    /// <summary>The job, by reference, for <c>executor.SubmitAsync(CommandJob.Ref, spec)</c>.</summary>
    public static JobRef<CommandSpec, CommandOutcome> Ref { get; } = new(Name);

    /// <inheritdoc/>
    public async ValueTask<CommandOutcome> RunAsync(CommandSpec input, JobContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var command = ToCommand(input);
        // The job's id and attempt, for a command that needs to know which job it is (a scheduled one's id carries
        // its tick: sched.NAME.20261207T050000Z); the spec's own environment wins.
        if (input.Environment?.ContainsKey(JobIdVariable) != true)
        {
            command = command.WithEnvironment(JobIdVariable, context.JobId);
        }

        if (input.Environment?.ContainsKey(AttemptVariable) != true)
        {
            command = command.WithEnvironment(AttemptVariable, context.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        CommandResult result;
        var timedOut = false;
        try
        {
            result = await command.RunAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (CommandTimeoutException e)
        {
            result = e.Result;
            timedOut = true;
        }

        return new CommandOutcome
        {
            ExitCode = result.ExitCode,
            Signal = result.Signal,
            TimedOut = timedOut,
            Stdout = ToArray(result.StandardOutputBytes),
            Stderr = ToArray(result.StandardErrorBytes),
            StartTime = result.StartTime,
            EndTime = result.EndTime,
        };
    }

    /// <summary>
    /// The <see cref="Command"/> a spec describes, capturing stdout and stderr, with a non-zero exit not
    /// raised. A spec with <see cref="CommandSpec.Shell"/> runs <c>shell -c Executable Arguments…</c>.
    /// </summary>
    /// <param name="spec">The spec.</param>
    /// <exception cref="ArgumentException">The spec is invalid (an empty executable, NUL in a string, an environment name with '=', a negative limit).</exception>
    public static Command ToCommand(CommandSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var command = spec.Shell is { } shell
            ? Command.Create(shell, ["-c", spec.Executable, .. spec.Arguments])
            : Command.Create(spec.Executable, spec.Arguments);
        command = command.WithThrowOnNonZeroExit(false).WithWorkingDirectory(spec.WorkingDirectory);
        if (spec.Environment is { } environment)
        {
            command = command.WithEnvironment(environment);
        }

        if (spec.Stdin is { } stdin)
        {
            command = command.WithStandardInput(InputSource.FromBytes(stdin));
        }

        if (spec.TimeoutSeconds is { } timeout)
        {
            command = command.WithTimeout(Seconds(timeout, nameof(spec.TimeoutSeconds)));
        }

        if (spec.GraceSeconds is { } grace)
        {
            command = command.WithGracePeriod(Seconds(grace, nameof(spec.GraceSeconds)));
        }

        return command.WithOutputLimit(spec.OutputLimitBytes);
    }

    private static TimeSpan Seconds(double value, string name) =>
        double.IsFinite(value) && value >= 0 && value < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(value)
            : throw new ArgumentOutOfRangeException(name, value, "Seconds must be a finite number, zero or more.");

    private static byte[] ToArray(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();
}
