using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gamut.TestKit;

/// <summary>
/// The test kit: a child program whose behaviour tests choose on its command line. Verbs run in order, each
/// taking its own arguments: <c>testkit out 10 err 5 exit 3</c>. See <see cref="Usage"/>.
/// </summary>
public static class Program
{
    private const string Usage = """
        testkit VERB [ARGS] [VERB [ARGS]]...
          echo-args ARG...          print each remaining argument on its own line
          argv-json ARG...          print the remaining arguments as one JSON array
          out N | err N             write N pattern bytes to stdout | stderr
          out-lines N [PREFIX]      write N lines "PREFIX<i>" to stdout (err-lines: to stderr)
          interleave OUT ERR CHUNK  write OUT bytes to stdout and ERR to stderr, alternating CHUNK-byte pieces
          flood OUT ERR CHUNK FILE  interleave while reading stdin; then write "<count> <sha256>" of stdin to FILE
          cat                       copy stdin to stdout
          stdin-report FILE         read stdin to its end; write "<count> <sha256>" to FILE ('-' = stdout)
          close-stdin               close fd 0
          sleep SECONDS             sleep
          ready                     print "ready" (a sync point for the test)
          ignore-term               ignore SIGTERM from now on
          log-term FILE             on SIGTERM append "TERM <pid>" to FILE and go on running
          grandchild SECONDS        start `sleep SECONDS` as a child (same process group)
          stubborn-grandchild SECONDS  start a grandchild that ignores SIGTERM and sleeps
          double-fork SECONDS       start a sleep that is orphaned at once (sh -c 'sleep N &')
          setsid-child SECONDS      start `setsid sleep SECONDS` (leaves the process group)
          pids                      print "pid <pid> pgid <pgid>"
          exit CODE                 exit with CODE
          kill-self SIGNAL          send SIGNAL (a number) to itself
          fds                       list /proc/self/fd as "fd -> target"
          env [NAME]                print the environment (sorted) or one variable
          cwd                       print the working directory
          host-children N MARKER KEEP  start N marked `sleep 300` through Gamut (KillOnParentExit=KEEP), print "ready", wait
          host-run EXE ARG...       run one command through Gamut, print its stdout
          host-fd-exhaustion        (under prlimit --nofile) exhaust fds, try a spawn, report
          host-pids-limit MARKER    wait for a stdin line, spawn until the pids limit, report
          host-ipc-dispose KIND     dispose an IPC event|queue|lock while a wait is pending (lease: while leased), report
        """;

    public static async Task<int> Main(string[] args)
    {
        var i = 0;
        while (i < args.Length)
        {
            var verb = args[i++];
            string Next() => i < args.Length ? args[i++] : throw new ArgumentException($"'{verb}' needs an argument");
            long NextLong() => long.Parse(Next(), CultureInfo.InvariantCulture);
            switch (verb)
            {
                case "echo-args":
                    foreach (var a in args[i..])
                    {
                        Console.Out.WriteLine(a);
                    }

                    return 0;
                case "argv-json":
                    Console.Out.WriteLine(JsonSerializer.Serialize(args[i..]));
                    return 0;
                case "out":
                    Pattern.Write(Console.OpenStandardOutput(), 1, NextLong());
                    break;
                case "err":
                    Pattern.Write(Console.OpenStandardError(), 2, NextLong());
                    break;
                case "out-lines":
                case "err-lines":
                {
                    var n = NextLong();
                    var prefix = i < args.Length && !IsVerb(args[i]) ? args[i++] : "line ";
                    var writer = verb == "out-lines" ? Console.Out : Console.Error;
                    for (long k = 0; k < n; k++)
                    {
                        writer.Write(prefix);
                        writer.Write(k.ToString(CultureInfo.InvariantCulture));
                        writer.Write('\n');
                    }

                    writer.Flush();
                    break;
                }

                case "interleave":
                    Pattern.Interleave(NextLong(), NextLong(), (int)NextLong());
                    break;
                case "flood":
                {
                    var (outBytes, errBytes, chunk, file) = (NextLong(), NextLong(), (int)NextLong(), Next());
                    var reader = Task.Run(() => StdinReport());
                    Pattern.Interleave(outBytes, errBytes, chunk);
                    await File.WriteAllTextAsync(file, await reader);
                    break;
                }

                case "cat":
                    Console.OpenStandardInput().CopyTo(Console.OpenStandardOutput(), 1 << 16);
                    break;
                case "stdin-report":
                {
                    var file = Next();
                    var report = StdinReport();
                    if (file == "-")
                    {
                        Console.Out.Write(report);
                        Console.Out.Flush();
                    }
                    else
                    {
                        File.WriteAllText(file, report);
                    }

                    break;
                }

                case "close-stdin":
                {
                    // The runtime keeps a duplicate of stdin; close every descriptor of that pipe.
                    var target = new FileInfo("/proc/self/fd/0").LinkTarget;
                    foreach (var path in Directory.GetFiles("/proc/self/fd"))
                    {
                        if (new FileInfo(path).LinkTarget == target)
                        {
                            Native.close(int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture));
                        }
                    }

                    break;
                }
                case "sleep":
                    Thread.Sleep(TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)));
                    break;
                case "ready":
                    Console.Out.WriteLine("ready");
                    Console.Out.Flush();
                    break;
                case "ignore-term":
                    Native.signal(15, 1 /* SIG_IGN */);
                    break;
                case "log-term":
                {
                    var file = Next();
                    var pid = Environment.ProcessId;
                    s_termRegistration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                    {
                        context.Cancel = true;
                        File.AppendAllText(file, $"TERM {pid}\n");
                    });
                    break;
                }

                case "grandchild":
                    Start("sleep", Next());
                    break;
                case "stubborn-grandchild":
                    Start("/bin/sh", "-c", "trap '' TERM; exec sleep " + Next());
                    break;
                case "double-fork":
                    Start("/bin/sh", "-c", "sleep " + Next() + " >/dev/null 2>&1 </dev/null &").WaitForExit();
                    break;
                case "setsid-child":
                    AwaitOwnSession(Start("setsid", "sleep", Next()));
                    break;
                case "pids":
                    Console.Out.WriteLine($"pid {Environment.ProcessId} pgid {Native.getpgid(0)}");
                    Console.Out.Flush();
                    break;
                case "exit":
                    return int.Parse(Next(), CultureInfo.InvariantCulture);
                case "kill-self":
                    Console.Out.Flush();
                    Native.kill(Environment.ProcessId, int.Parse(Next(), CultureInfo.InvariantCulture));
                    Thread.Sleep(5000);
                    return 99;
                case "fds":
                    foreach (var fd in Directory.GetFiles("/proc/self/fd").Select(Path.GetFileName).Select(int.Parse!).Order())
                    {
                        var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "?";
                        Console.Out.WriteLine($"{fd} -> {target}");
                    }

                    break;
                case "env":
                    if (i < args.Length && !IsVerb(args[i]))
                    {
                        Console.Out.WriteLine(Environment.GetEnvironmentVariable(args[i++]) ?? "<unset>");
                    }
                    else
                    {
                        foreach (var line in Environment.GetEnvironmentVariables().Keys.Cast<string>().Order(StringComparer.Ordinal)
                                     .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}"))
                        {
                            Console.Out.WriteLine(line);
                        }
                    }

                    break;
                case "cwd":
                    Console.Out.WriteLine(Environment.CurrentDirectory);
                    break;
                case "host-children":
                    return await Hosts.Children(int.Parse(Next(), CultureInfo.InvariantCulture), Next(), bool.Parse(Next()));
                case "host-run":
                    return await Hosts.Run(Next(), args[i..]);
                case "host-fd-exhaustion":
                    return await Hosts.FdExhaustion();
                case "host-pids-limit":
                    return await Hosts.PidsLimit(Next());
                case "host-ipc-dispose":
                    return await IpcHosts.DisposeWhileWaiting(Next());
                default:
                    Console.Error.WriteLine($"testkit: unknown verb '{verb}'\n{Usage}");
                    return 100;
            }
        }

        Console.Out.Flush();
        return 0;
    }

    private static PosixSignalRegistration? s_termRegistration;

    private static readonly HashSet<string> s_verbs =
    [
        "echo-args", "argv-json", "out", "err", "out-lines", "err-lines", "interleave", "flood", "cat", "stdin-report",
        "close-stdin", "sleep", "ready", "ignore-term", "log-term", "grandchild", "stubborn-grandchild", "double-fork",
        "setsid-child", "pids", "exit", "kill-self", "fds", "env", "cwd", "host-children", "host-run", "host-fd-exhaustion",
        "host-pids-limit", "host-ipc-dispose",
    ];

    private static bool IsVerb(string s) => s_verbs.Contains(s);

    private static Process Start(string file, params string[] arguments)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    /// <summary>
    /// Returns once <paramref name="child"/> leads its own session (setsid ran), so a "ready" printed after this
    /// means the grandchild has really left the group (a stop sent sooner would still reach it).
    /// </summary>
    private static void AwaitOwnSession(Process child)
    {
        var until = Environment.TickCount64 + 60_000; // a hang guard only
        while (Environment.TickCount64 < until)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{child.Id}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[3], CultureInfo.InvariantCulture) == child.Id)
                {
                    return; // field 6 of stat: the session id
                }
            }
            catch (IOException)
            {
                return; // gone: nothing left to wait for
            }

            Thread.Sleep(1);
        }
    }

    private static string StdinReport()
    {
        using var sha = SHA256.Create();
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[1 << 16];
        long count = 0;
        int n;
        while ((n = stdin.Read(buffer)) > 0)
        {
            sha.TransformBlock(buffer, 0, n, null, 0);
            count += n;
        }

        sha.TransformFinalBlock([], 0, 0);
        return $"{count} {Convert.ToHexStringLower(sha.Hash!)}\n";
    }
}

/// <summary>The deterministic bytes the kit writes; tests compute the same to check what arrived.</summary>
public static class Pattern
{
    /// <summary>The byte at <paramref name="index"/> of stream <paramref name="stream"/> (1 = stdout, 2 = stderr).</summary>
    public static byte At(int stream, long index) => (byte)('A' + ((index * 7 + (stream * 13)) % 26));

    /// <summary>Fills <paramref name="buffer"/> with the pattern from <paramref name="offset"/> on.</summary>
    public static void Fill(Span<byte> buffer, int stream, long offset)
    {
        for (var k = 0; k < buffer.Length; k++)
        {
            buffer[k] = At(stream, offset + k);
        }
    }

    /// <summary>Writes <paramref name="count"/> pattern bytes of stream <paramref name="stream"/>.</summary>
    public static void Write(Stream target, int stream, long count)
    {
        var buffer = new byte[1 << 16];
        for (long written = 0; written < count;)
        {
            var n = (int)Math.Min(buffer.Length, count - written);
            Fill(buffer.AsSpan(0, n), stream, written);
            target.Write(buffer, 0, n);
            written += n;
        }

        target.Flush();
    }

    /// <summary>Writes both streams, alternating pieces of <paramref name="chunk"/> bytes.</summary>
    public static void Interleave(long outBytes, long errBytes, int chunk)
    {
        using var stdout = Console.OpenStandardOutput();
        using var stderr = Console.OpenStandardError();
        var buffer = new byte[chunk];
        long o = 0, e = 0;
        while (o < outBytes || e < errBytes)
        {
            if (o < outBytes)
            {
                var n = (int)Math.Min(chunk, outBytes - o);
                Fill(buffer.AsSpan(0, n), 1, o);
                stdout.Write(buffer, 0, n);
                o += n;
            }

            if (e < errBytes)
            {
                var n = (int)Math.Min(chunk, errBytes - e);
                Fill(buffer.AsSpan(0, n), 2, e);
                stderr.Write(buffer, 0, n);
                e += n;
            }
        }
    }
}

internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint signal(int signal, nint handler);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getpgid(int pid);
}
