using Gamut.Dashboard;

namespace Gamut.Cli.Redis;

/// <summary>
/// <c>gamut dashboard --redis URL[,URL…] [--listen 127.0.0.1:8080] [--password-file F] [--read-only]</c>: the web
/// dashboard on one address. It runs in gamut's JIT host (ASP.NET Core), like the other Redis commands.
/// </summary>
internal static class DashboardCommand
{
    public const string Help = """
        Usage: gamut dashboard --redis URL[,URL...] [--prefix P] [--listen IP:PORT] [--password-file FILE | --password-hash HASH] [--read-only]
               gamut dashboard --hash-password      (reads a password on stdin, prints its hash)

        Serves the web dashboard: each queue's depths and counters, workers and their current jobs, a ring's instances,
        jobs by state, a job's input, error and result; retry, cancel, delete, purge, pause and resume; live updates.
        --listen defaults to 127.0.0.1:8080 (loopback: no password needed). Any other address requires a password:
        --password-file FILE (its first line; only its hash is kept in memory) or --password-hash HASH (from
        --hash-password); without one, every request is refused. --read-only hides and refuses every action.
        Stop it with Ctrl-C.

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut dashboard", () => Run(args));

    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        var listen = DashboardServer.DefaultListen;
        string? passwordFile = null, passwordHash = null;
        var readOnly = false;
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
                case "--hash-password":
                    return HashPassword();
                case "--listen":
                    listen = RedisArgs.Value(args, ref i);
                    break;
                case "--password-file":
                    passwordFile = RedisArgs.Value(args, ref i);
                    break;
                case "--password-hash":
                    passwordHash = RedisArgs.Value(args, ref i);
                    break;
                case "--read-only":
                    readOnly = true;
                    break;
                default:
                    throw new RedisUsageException($"unknown option '{args[i]}'");
            }
        }

        System.Net.IPEndPoint endpoint;
        try
        {
            endpoint = DashboardServer.ParseListen(listen);
        }
        catch (ArgumentException)
        {
            // Our own words: the exception's text carries the parameter's name in a resource key in this build.
            throw new RedisUsageException($"--listen: '{listen}' is not an address to listen on: use IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
        }

        var options = DashboardOptions.For(redis.ToOptions("gamut dashboard")).WithReadOnly(readOnly);
        options = passwordFile is not null ? options.WithPassword(ReadPassword(passwordFile))
            : passwordHash is not null ? WithHash(options, passwordHash)
            : options;
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        try
        {
            DashboardServer.RunAsync(options, endpoint, url => Console.Error.WriteLine($"gamut dashboard: serving {url}" + (options.PasswordHash is null && !System.Net.IPAddress.IsLoopback(endpoint.Address) ? " (no password: every request is refused)" : "")), stop.Token)
                .GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            throw new RedisUsageException($"--listen {listen}: {e.Message}");
        }

        return 0;
    }

    private static DashboardOptions WithHash(DashboardOptions options, string hash)
    {
        try
        {
            return options.WithPasswordHash(hash);
        }
        catch (ArgumentException)
        {
            throw new RedisUsageException("--password-hash: not a dashboard password hash: expected pbkdf2-sha256$iterations$salt$hash, as 'gamut dashboard --hash-password' prints");
        }
    }

    private static string ReadPassword(string file)
    {
        string? line;
        try
        {
            line = File.ReadLines(file).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RedisUsageException($"--password-file {file}: {e.Message}");
        }

        if (line is null || line.Length < 8)
        {
            throw new RedisUsageException($"--password-file {file}: the password (its first line) must have at least 8 characters");
        }

        return line;
    }

    private static int HashPassword()
    {
        var line = Console.In.ReadLine();
        if (line is null || line.Length < 8)
        {
            throw new RedisUsageException("--hash-password: give a password of at least 8 characters on stdin");
        }

        Console.Out.WriteLine(DashboardPassword.Hash(line));
        return 0;
    }
}
