using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.InteropServices;
using Gamut.Jobs;
using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary>
/// <c>gamut worker --redis URL [--prefix P] [--queues a,b] [-j N] [--isolate processes] [--load ASSEMBLY]…</c>:
/// serves command jobs (<c>gamut.command</c>, no user code) and the .NET jobs of the assemblies given with
/// <c>--load</c> (trusted configuration). SIGTERM or Ctrl-C stops it gracefully (exit 0); a second Ctrl-C exits at once.
/// </summary>
internal static class WorkerCommand
{
    public const string Help = """
        Usage: gamut worker --redis URL [OPTIONS]

        Takes jobs from Redis queues and runs them: command jobs (sent by 'gamut run --redis') and the .NET jobs
        of the assemblies given with --load.

          --redis URL              redis://[user:password@]host[:port][/db] or rediss:// for TLS (or GAMUT_REDIS_URL);
                                   a comma list (redis://a:6379,b:6379,c:6379) is a ring or a Cluster's nodes: any
                                   instance that answers is enough to start; ?sentinel=NAME: the hosts are Sentinels
          --prefix P               the application's key prefix (default gamut, or GAMUT_REDIS_PREFIX)
          --queues a,b             queues to serve, highest priority first (default: default)
          -j, --jobs N             jobs at once (default: the number of cores)
          --isolate processes      run each job in a pool of worker processes (crash- and timeout-safe)
          --load ASSEMBLY          register the [Job] types of a .NET assembly (repeatable; trusted code)
          --shutdown-timeout SEC   on SIGTERM, how long running jobs may finish before they are handed back (default 30)
          --id ID                  the worker's id (default host-pid-random)
          --no-schedules           do not keep the schedules of the queues served ('gamut schedule'; by default every
                                   worker keeps them, one job per tick however many do)

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut worker", () => Run(args));

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The CLI is not trimmed; --load is trusted configuration.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The CLI is not compiled ahead of time.")]
    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs();
        var options = new RedisWorkerOptions();
        var registry = new JobRegistry();
        var queues = options.Queues;
        var concurrency = Environment.ProcessorCount;
        var keepSchedules = true;
        var isolation = WorkerIsolation.Threads;
        var shutdown = TimeSpan.FromSeconds(30);
        string? id = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (redis.TryTake(args, ref i))
            {
                continue;
            }

            switch (args[i])
            {
                case "-h" or "--help":
                    Console.Out.Write(Help);
                    return 0;
                case "--queues" or "-q":
                    queues = RedisArgs.Queues(RedisArgs.Value(args, ref i));
                    break;
                case "-j" or "--jobs":
                    concurrency = RedisArgs.PositiveInt(args[i], RedisArgs.Value(args, ref i));
                    break;
                case "--isolate":
                    isolation = RedisArgs.Value(args, ref i) switch
                    {
                        "processes" => WorkerIsolation.Processes,
                        "threads" or "none" => WorkerIsolation.Threads,
                        var other => throw new RedisUsageException($"--isolate '{other}': use processes (or threads)"),
                    };
                    break;
                case "--load":
                    Load(registry, RedisArgs.Value(args, ref i));
                    break;
                case "--shutdown-timeout":
                    shutdown = TimeSpan.FromSeconds(RedisArgs.PositiveInt("--shutdown-timeout", RedisArgs.Value(args, ref i)));
                    break;
                case "--id":
                    id = RedisArgs.Value(args, ref i);
                    break;
                case "--no-schedules":
                    keepSchedules = false;
                    break;
                default:
                    throw new RedisUsageException($"unknown option '{args[i]}'");
            }
        }

        options = options with { Queues = queues, Concurrency = concurrency, Isolation = isolation, Registry = registry, ShutdownTimeout = shutdown, WorkerId = id, KeepSchedules = keepSchedules };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new RedisUsageException(e.Message);
        }

        var redisOptions = redis.ToOptions("gamut worker");
        using var stop = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) > 1 && context.Signal == PosixSignal.SIGINT)
            {
                Console.Error.WriteLine("gamut worker: second interrupt; exiting now (running jobs will be reaped by other workers)");
                Environment.Exit(130);
            }

            Console.Error.WriteLine($"gamut worker: {context.Signal}: stopping (running jobs get {shutdown.TotalSeconds:0} s)");
            stop.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        RedisWorker.RunAsync(redisOptions, options, stop.Token).GetAwaiter().GetResult();
        return 0;
    }

    [RequiresUnreferencedCode("Scans the assembly for job types.")]
    [RequiresDynamicCode("Creates generic job descriptors at run time.")]
    private static void Load(JobRegistry registry, string path)
    {
        if (!File.Exists(path))
        {
            throw new RedisUsageException($"--load '{path}': no such file");
        }

        Assembly assembly;
        try
        {
            assembly = Assembly.LoadFrom(Path.GetFullPath(path));
        }
        catch (BadImageFormatException)
        {
            throw new RedisUsageException($"--load '{path}': not a .NET assembly");
        }
        catch (FileLoadException e)
        {
            throw new RedisUsageException($"--load '{path}': could not be loaded: {e.Message}");
        }

        try
        {
            registry.AddAssembly(assembly);
        }
        catch (Exception e) when (e is JobRegistrationException or ReflectionTypeLoadException or TypeInitializationException or TypeLoadException)
        {
            throw new RedisUsageException($"--load '{path}': its jobs could not be registered: {e.Message}");
        }
    }
}
