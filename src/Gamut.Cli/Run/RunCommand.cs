using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Halt;
using Gamut.Cli.Run.Inputs;
using Gamut.Cli.Run.JobLog;
using Gamut.Cli.Run.Options;
using Gamut.Cli.Run.Output;
using Gamut.Cli.Run.Progress;
using Gamut.Cli.Run.Signals;
using Gamut.Cli.Run.Templates;

namespace Gamut.Cli.Run;

/// <summary>
/// <c>gamut run</c>: GNU parallel's interface. Parses the command line, wires the front end (inputs, template,
/// output, joblog, halt, progress) to a backend, runs the scheduler, and turns the result into parallel's exit
/// status. The backend is the only part that knows where jobs run; <see cref="CreateBackend"/> is the hook for
/// another one (Redis workers).
/// </summary>
internal static class RunCommand
{
    /// <summary>Exit status for errors that are not job failures, as in GNU parallel.</summary>
    public const int OtherError = 255;

    public static int Execute(IReadOnlyList<string> args, Func<RunOptions, IJobBackend>? createBackend = null)
    {
        RunOptions options;
        try
        {
            // Profiles and $PARALLEL come first; -J and --plain on the command line say which are read.
            options = RunOptionsParser.Parse(args);
            var preambles = OptionSources.Read(options.Profiles, options.Plain, Environment.GetEnvironmentVariable);
            if (preambles.Count > 0)
            {
                options = RunOptionsParser.Parse(args, preambles);
            }
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }

        if (options.ShowHelp)
        {
            Console.Out.Write(Usage.RunText);
            return 0;
        }

        if (options.ShowVersion)
        {
            Console.Out.WriteLine($"gamut {Usage.Version}");
            return 0;
        }

        try
        {
            return options.Semaphore ? Semaphore.SemaphoreCommand.Run(options) : Run(options, createBackend ?? CreateBackend);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
    }

    /// <summary>The local backend: each job a child process in its own process group.</summary>
    public static IJobBackend CreateBackend(RunOptions options) =>
        Environment.GetEnvironmentVariable("GAMUT_RUN_EXECUTOR") == "threads"
            ? new ExecutorBackend(Gamut.Executors.Executors.Threads(options.Jobs.Resolve(Environment.ProcessorCount)))
            : new ProcessesBackend(options.TermSeq);

    private static int Run(RunOptions options, Func<RunOptions, IJobBackend> createBackend)
    {
        if (options.Command.Count == 0 && options.Inputs.Count == 0 && !Console.IsInputRedirected && !options.RetryFailed)
        {
            throw new UsageException("missing command: give a command and inputs, e.g. gamut run echo ::: a b c");
        }

        if (options.RetryFailed)
        {
            // The logged command lines are the jobs: the command and inputs given are not used.
            options = options with { Command = [], Inputs = [], ArgsMode = ArgsMode.Fixed, RecordsPerJob = null, Header = null, Pipe = false };
        }

        var maxJobs = options.Jobs.Resolve(Environment.ProcessorCount);
        var shell = ChooseShell();
        using var plan = options.Pipe || options.RetryFailed ? null : new InputPlan(options, Console.OpenStandardInput());
        var headerNames = plan?.HeaderNames ?? [];
        var direct = IsBourneShell(shell) ? new DirectExec(ProgramLocator.Find) : null;
        var factory = new JobFactory(options, shell, direct, headerNames);

        var history = options.Resume || options.ResumeFailed
            ? JobLogHistory.Read(options.JobLog!, failedOnly: options.ResumeFailed)
            : JobLogHistory.Empty;
        using var log = options.JobLog is null || options.DryRun
            ? null
            : JobLogWriter.Open(options.JobLog, append: options.Resume || options.ResumeFailed || options.RetryFailed, appendWithoutHeader: options.JobLogAppend);
        var results = options.Results is null || options.DryRun ? null : new ResultsWriter(options.Results, headerNames);

        using var streams = new OutputStreams(new DescriptorStream(1), new DescriptorStream(2));
        var backend = options.DryRun ? new DryRunBackend() : createBackend(options);
        var outputMode = backend.CanStream && options.Results is null ? options.Output : OutputMode.Group;
        IRunOutput output = options.Json ? new JsonOutput(streams, options.KeepOrder)
            : options.DryRun ? new GroupedOutput(streams, options.KeepOrder, verbose: false)
            : options.KeepOrder && outputMode == OutputMode.LineBuffer ? new GroupedOutput(streams, keepOrder: true, options.Verbose)
            : outputMode switch
            {
                OutputMode.LineBuffer => new LineBufferedOutput(streams, options.Verbose),
                OutputMode.Ungroup => new UngroupedOutput(streams, options.Verbose),
                _ => new GroupedOutput(streams, options.KeepOrder, options.Verbose),
            };

        // Everything is read first when the total matters before the first job (shuffling, percentages, ETA).
        // Values given on the command line are in memory already: listing them costs nothing and gives the total.
        var onlyArguments = options.Inputs.Count > 0 && options.Inputs.All(i => i.Kind == InputSourceKind.Arguments);
        var readAllFirst = options.RetryFailed || (!options.Pipe && (onlyArguments || options.Shuffle || options.Halt.Percent is not null || options.Bar || options.Eta));
        Exception? inputError = null;
        IJobInputs inputs;
        long total = -1;
        var records = JobRecords(options, plan, factory, maxJobs);
        if (readAllFirst)
        {
            var all = records.ToList();
            if (options.Shuffle)
            {
                // Shuffled, then numbered in the order they run ({#} and the joblog's Seq), as parallel does.
                Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
                for (var i = 0; i < all.Count; i++)
                {
                    all[i] = all[i] with { Seq = i + 1 };
                }
            }

            total = all.Count;
            inputs = new ListedInputs(all);
        }
        else
        {
            // --pipe blocks are big: only a few wait in memory beyond the running jobs.
            inputs = new StreamedInputs(records, e => inputError = e, options.Pipe ? Math.Max(1, maxJobs) : 4096);
        }

        var halt = new HaltPolicy(options.Halt, () => total >= 0 ? total : inputs.Completed ?? 0);
        using var progress = ProgressFactory.Create(options, maxJobs);
        if (total >= 0)
        {
            progress.SetTotal(total);
        }

        void Warn(string message)
        {
            lock (streams.Gate)
            {
                streams.Write(true, System.Text.Encoding.UTF8.GetBytes($"gamut: {message}\n"));
                streams.Flush();
            }
        }

        var scheduler = new JobScheduler(options, maxJobs, factory, backend, output, log, history, halt, progress, Warn, results);
        streams.StdoutBroken += () => scheduler.RequestStop(StopReason.StdoutClosed);
        using var signals = new StopSignals(scheduler);
        try
        {
            scheduler.RunAsync(inputs).GetAwaiter().GetResult();
        }
        finally
        {
            inputs.Dispose();
            backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        results?.Complete();

        if (inputError is UsageException usage)
        {
            throw usage;
        }

        if (inputError is not null)
        {
            Warn($"reading input failed: {inputError.Message}");
            return OtherError;
        }

        return scheduler.Stopped switch
        {
            StopReason.Signal => 128 + scheduler.StopSignal,
            StopReason.StdoutClosed => 128 + 13,
            _ => halt.ExitStatus() & 0xFF,
        };
    }

    // The jobs' records: --pipe blocks, --retry-failed's logged commands, or the inputs grouped per job.
    private static IEnumerable<InputRecord> JobRecords(RunOptions options, InputPlan? plan, JobFactory factory, int maxJobs)
    {
        if (options.RetryFailed)
        {
            return JobLogHistory.FailedCommands(options.JobLog!).Select(f => new InputRecord(f.Seq, [f.Command]));
        }

        if (options.Pipe)
        {
            var source = options.Inputs switch
            {
                [] or [{ Kind: InputSourceKind.Stdin }] => Console.OpenStandardInput(),
                [{ Kind: InputSourceKind.File, Path: { } path }] => OpenPipeFile(path),
                _ => throw new UsageException("--pipe reads standard input (or one file given with -a or ::::); ::: values cannot be piped"),
            };
            return new PipeBlocks(source, options).Records();
        }

        var template = factory.Template;
        return RecordBatcher.Batch(plan!.Records(), options, maxJobs, template.ValueCost, template.BaseLength);
    }

    private static Stream OpenPipeFile(string path)
    {
        try
        {
            return path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot open input file '{path}': {e.Message}");
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"gamut run: {message}");
        Console.Error.WriteLine("Usage: gamut run [OPTIONS] COMMAND [ARGS...] ::: INPUTS...   (see 'gamut run --help')");
        return OtherError;
    }

    private static string ChooseShell()
    {
        var shell = Environment.GetEnvironmentVariable("PARALLEL_SHELL");
        if (string.IsNullOrEmpty(shell))
        {
            shell = Environment.GetEnvironmentVariable("SHELL");
        }

        if (string.IsNullOrEmpty(shell))
        {
            shell = "/bin/sh";
        }

        var found = shell.Contains('/') ? (ProgramLocator.IsExecutableFile(shell) ? shell : null) : ProgramLocator.Find(shell);
        return found ?? throw new UsageException($"shell '{shell}' not found (set PARALLEL_SHELL or SHELL)");
    }

    private static bool IsBourneShell(string shell) =>
        Path.GetFileName(shell) is "sh" or "bash" or "dash" or "ksh" or "mksh" or "zsh" or "ash" or "yash" or "posh";
}
