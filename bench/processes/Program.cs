// Gamut's subprocess layer and its .NET peers, measured the same way. Each mode prints one line: peer=NAME key=value ...
//   fanout PEER N J      N runs of /bin/true, J at a time; PEER = gamut (defaults: stdout and stderr captured) |
//                        gamut-inherit (output not redirected, as the raw Process loop) | gamut-null | gamut-batch |
//                        gamut-nowatchdog | process | cliwrap
//   pipe PEER MiB [BUF [CMD...]]  MiB pumped through CMD (default cat; the parent writes stdin and reads stdout) in
//                        BUF-byte writes and reads (default: 1 MiB for gamut, 64 KiB for the others, as before);
//                        PEER = gamut | process | cliwrap. bench/run-all.sh gives every side the same BUF and runs cat
//                        under bench/fair/setpipe, which sets both pipes to the same size, for its like-for-like rows.
//   inflight N           N commands in flight at once, each capturing a small output: peak managed heap
//   alloc                managed bytes allocated per Gamut run of /bin/true
// The fan-out and pipe code for `process` and `cliwrap` is /work/shared/bench/peers/dotnet/Program.cs's.
using System.Diagnostics;
using CliWrap;
using Gamut.Processes;
using Command = Gamut.Processes.Command;

var mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "fanout":
        await FanOut(args[1], int.Parse(args[2]), int.Parse(args[3]));
        break;
    case "pipe":
        await Pipe(args[1], long.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : args[1] == "gamut" ? 1 << 20 : 1 << 16, args.Length > 4 ? args[4..] : ["cat"]);
        break;
    case "alloc":
    {
        await RunGamut();
        var before = GC.GetTotalAllocatedBytes(true);
        for (var i = 0; i < 500; i++)
        {
            await RunGamut();
        }

        Console.WriteLine($"peer=gamut alloc_bytes_per_run={(GC.GetTotalAllocatedBytes(true) - before) / 500}");
        break;
    }

    case "inflight":
        await InFlight(int.Parse(args[1]));
        break;
    default:
        Console.Error.WriteLine("usage: see the comment at the top of Program.cs");
        return 2;
}

return 0;

static async Task FanOut(string peer, int n, int j)
{
    Func<Task> run = peer switch
    {
        "gamut" or "gamut-batch" => RunGamut,
        "gamut-null" => RunGamutNull,
        "gamut-inherit" => RunGamutInherit,
        "gamut-nowatchdog" => RunGamutNoWatchdog,
        "process" => RunProcess,
        "cliwrap" => RunCliWrap,
        _ => throw new ArgumentException(peer),
    };
    await run(); // warm-up
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    if (peer == "gamut-batch")
    {
        var command = Command.Create("/bin/true");
        await foreach (var c in CommandBatch.RunAsync(Enumerable.Repeat(command, n), new CommandBatchOptions { MaxConcurrency = j }))
        {
            c.GetResult();
        }
    }
    else
    {
        var gate = new SemaphoreSlim(j);
        var tasks = new List<Task>(n);
        for (var i = 0; i < n; i++)
        {
            await gate.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await run();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
    }

    var cpuPerRun = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / n;
    Console.WriteLine($"peer={peer} runs={n} j={j} jobs_per_s={n / sw.Elapsed.TotalSeconds:F0} parent_cpu_us_per_run={cpuPerRun:F0}");
}

static Task RunGamut() => Command.Create("/bin/true").RunAsync();

static Task RunGamutNull() => Command.Create("/bin/true").WithStandardOutput(OutputTarget.Null).WithStandardError(OutputTarget.Null).RunAsync();

static Task RunGamutInherit() => Command.Create("/bin/true").WithStandardOutput(OutputTarget.Inherit).WithStandardError(OutputTarget.Inherit).RunAsync();

static Task RunGamutNoWatchdog() => Command.Create("/bin/true").WithKillOnParentExit(false).RunAsync();

static async Task RunProcess()
{
    using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
    await p.WaitForExitAsync();
}

static async Task RunCliWrap() => await Cli.Wrap("/bin/true").ExecuteAsync();

static async Task Pipe(string peer, long mib, int bufferSize, string[] command)
{
    var total = mib << 20;
    var sw = Stopwatch.StartNew();
    long got = 0;
    switch (peer)
    {
        case "gamut":
        {
            await using var cat = Command.Create(command[0], command[1..]).WithStandardInput(InputSource.Pipe).Start();
            var writer = Task.Run(async () =>
            {
                var buf = new byte[bufferSize];
                await using var stdin = cat.StandardInput;
                for (long sent = 0; sent < total; sent += buf.Length)
                {
                    await stdin.WriteAsync(buf);
                }
            });
            var rbuf = new byte[bufferSize];
            var stdout = cat.StandardOutput;
            int r;
            while ((r = await stdout.ReadAsync(rbuf)) > 0)
            {
                got += r;
            }

            await writer;
            await cat.WaitForExitAsync();
            break;
        }

        case "process":
        {
            var psi = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var buf = new byte[bufferSize];
            var writer = Task.Run(async () =>
            {
                var stdin = p.StandardInput.BaseStream;
                for (long sent = 0; sent < total; sent += buf.Length)
                {
                    await stdin.WriteAsync(buf);
                }

                stdin.Close();
            });
            var rbuf = new byte[bufferSize];
            int r;
            var stdout = p.StandardOutput.BaseStream;
            while ((r = await stdout.ReadAsync(rbuf)) > 0)
            {
                got += r;
            }

            await writer;
            await p.WaitForExitAsync();
            break;
        }

        case "cliwrap":
        {
            var sink = new CountingStream();
            await (PipeSource.Create(async (dest, ct) =>
            {
                var buf = new byte[bufferSize];
                for (long sent = 0; sent < total; sent += buf.Length)
                {
                    await dest.WriteAsync(buf, ct);
                }
            }) | Cli.Wrap(command[0]).WithArguments(command[1..]) | PipeTarget.ToStream(sink)).ExecuteAsync();
            got = sink.Count;
            break;
        }

        default:
            throw new ArgumentException(peer);
    }

    if (got != total)
    {
        throw new InvalidOperationException($"{peer}: got {got} bytes, expected {total}");
    }

    Console.WriteLine($"peer={peer}-pipe mib={mib} buf={bufferSize} mb_per_s={got / 1e6 / sw.Elapsed.TotalSeconds:F0}");
}

static async Task InFlight(int n)
{
    // Each command prints a short line, then waits until all are started, so all n are in flight at once.
    var before = GC.GetTotalMemory(forceFullCollection: true);
    var children = new List<ChildProcess>(n);
    var commands = Enumerable.Range(0, n).Select(i => Command.Shell("echo line $1; exec sleep 3", i.ToString()));
    var sw = Stopwatch.StartNew();
    var runs = commands.Select(c => c.RunAsync()).ToList();
    var started = sw.Elapsed;
    var peakHeap = GC.GetTotalMemory(forceFullCollection: false);
    var peakHeapAfterGc = 0L;
    var peakThreads = 0;
    while (runs.Any(r => !r.IsCompleted))
    {
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
        peakHeapAfterGc = Math.Max(peakHeapAfterGc, GC.GetTotalMemory(true));
        peakThreads = Math.Max(peakThreads, Process.GetCurrentProcess().Threads.Count);
        await Task.Delay(200);
    }

    var results = await Task.WhenAll(runs);
    var ok = results.Count(r => r.StandardOutput.StartsWith("line "));
    Console.WriteLine($"peer=gamut-inflight commands={n} ok={ok} start_all_s={started.TotalSeconds:F2} heap_before_mb={before / 1e6:F1} peak_heap_mb={peakHeap / 1e6:F1} peak_live_heap_mb={peakHeapAfterGc / 1e6:F1} peak_threads={peakThreads}");
}

sealed class CountingStream : Stream
{
    public long Count;

    public override void Write(byte[] buffer, int offset, int count) => Count += count;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Count += buffer.Length;
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        Count += count;
        return Task.CompletedTask;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Count;

    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
