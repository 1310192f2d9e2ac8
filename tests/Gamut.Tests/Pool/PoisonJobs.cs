using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Gamut.Jobs;

namespace Gamut.Tests.Pool;

// Jobs for the poison tests (PoisonTests): each run writes a line to an execution ledger before it does anything else,
// so a test can tell which items ran, how often, and on which attempt.

/// <summary>What a poison item does to its worker, from its input (see <see cref="PoisonInput"/>).</summary>
internal enum PoisonKind
{
    None = 0,
    FailFast = 1,
    KillSelf = 2,
    StackOverflow = 3,
}

/// <summary>An input is an item number plus, for a poison item, 100,000 times its <see cref="PoisonKind"/>.</summary>
internal static class PoisonInput
{
    public const int Kinds = 100_000;

    public static int Encode(int item, PoisonKind kind) => item + (Kinds * (int)kind);

    public static int Item(int input) => input % Kinds;

    public static PoisonKind Kind(int input) => (PoisonKind)(input / Kinds);

    /// <summary>The environment variable that names the ledger file in the workers.</summary>
    public const string LedgerVariable = "GAMUT_TEST_LEDGER";

    /// <summary>Appends "item attempt" to the ledger, then crashes the worker when the input says so.</summary>
    public static void RunOrCrash(int input, JobContext context)
    {
        Ledger.Append(string.Create(CultureInfo.InvariantCulture, $"{Item(input)} {context.Attempt}\n"));
        switch (Kind(input))
        {
            case PoisonKind.FailFast:
                Environment.FailFast("a poison item failed fast");
                break;
            case PoisonKind.KillSelf:
                _ = Ledger.Kill(Environment.ProcessId, 9);
                Thread.Sleep(Timeout.Infinite);
                break;
            case PoisonKind.StackOverflow:
                Recurse(0);
                break;
        }
    }

    private static int Recurse(int depth) => Recurse(depth + 1) + 1;
}

/// <summary>
/// One line per run, appended with O_APPEND by whichever worker runs it: a line is written whole at the end of the
/// file even when several processes append at once, and it is on disk (in the page cache) before the job goes on, so a
/// crash right after cannot take it back.
/// </summary>
internal static class Ledger
{
    private const int OWronly = 1;
    private const int OCreat = 0x40;
    private const int OAppend = 0x400;
    private static int s_fd = -1;

    public static void Append(string line)
    {
        if (s_fd < 0)
        {
            var path = Environment.GetEnvironmentVariable(PoisonInput.LedgerVariable) ?? throw new InvalidOperationException($"{PoisonInput.LedgerVariable} is not set");
            s_fd = Open(path, OWronly | OCreat | OAppend, Convert.ToInt32("644", 8));
            if (s_fd < 0)
            {
                throw new IOException($"cannot open the ledger {path}: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        var bytes = Encoding.ASCII.GetBytes(line);
        if (Write(s_fd, bytes, bytes.Length) != bytes.Length)
        {
            throw new IOException($"a short write to the ledger: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Every line of a ledger as (item, attempt).</summary>
    public static List<(int Item, int Attempt)> Read(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture)))];

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPStr)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "kill")]
    public static extern int Kill(int pid, int signal);
}

[Job("pool.poison")]
public sealed class PoisonJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        PoisonInput.RunOrCrash(input, context);
        return ValueTask.FromResult(PoisonInput.Item(input) + 1);
    }
}

/// <summary>The same with a text result, which crosses the channel as JSON rather than raw bytes.</summary>
[Job("pool.poison-text")]
public sealed class PoisonTextJob : IJob<int, string>
{
    public ValueTask<string> RunAsync(int input, JobContext context)
    {
        PoisonInput.RunOrCrash(input, context);
        return ValueTask.FromResult(PoisonInput.Item(input).ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>Writes "pid attempt input" to the ledger (its started signal), then sleeps for its input in milliseconds (on its token).</summary>
[Job("pool.started-sleep")]
public sealed class StartedSleepJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        Ledger.Append(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {context.Attempt} {input}\n"));
        await Task.Delay(input, context.CancellationToken);
        return input;
    }
}

/// <summary>Writes "pid attempt" to the ledger (its started signal), then spins forever, ignoring its token.</summary>
[Job("pool.started-runaway")]
public sealed class StartedRunawayJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        Ledger.Append(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {context.Attempt}\n"));
        var x = 0L;
        while (true)
        {
            x++;
        }
    }
}
