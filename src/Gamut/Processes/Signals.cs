namespace Gamut.Processes;

/// <summary>POSIX signal numbers as Linux numbers them, and their names, for <see cref="ChildProcess.SendSignal"/>.</summary>
public static class Signals
{
    /// <summary>SIGHUP (1): hang up.</summary>
    public const int Hangup = 1;

    /// <summary>SIGINT (2): interrupt (Ctrl-C).</summary>
    public const int Interrupt = 2;

    /// <summary>SIGQUIT (3): quit with a core dump.</summary>
    public const int Quit = 3;

    /// <summary>SIGABRT (6): abort.</summary>
    public const int Abort = 6;

    /// <summary>SIGKILL (9): kill; cannot be caught or ignored.</summary>
    public const int Kill = 9;

    /// <summary>SIGUSR1 (10).</summary>
    public const int User1 = 10;

    /// <summary>SIGSEGV (11): invalid memory access.</summary>
    public const int SegmentationFault = 11;

    /// <summary>SIGUSR2 (12).</summary>
    public const int User2 = 12;

    /// <summary>SIGPIPE (13): write to a pipe with no reader.</summary>
    public const int Pipe = 13;

    /// <summary>SIGALRM (14).</summary>
    public const int Alarm = 14;

    /// <summary>SIGTERM (15): the polite request to stop, sent first by every stop.</summary>
    public const int Terminate = 15;

    /// <summary>SIGCHLD (17).</summary>
    public const int Child = 17;

    /// <summary>SIGCONT (18): continue a stopped process.</summary>
    public const int Continue = 18;

    /// <summary>SIGSTOP (19): stop; cannot be caught or ignored.</summary>
    public const int Stop = 19;

    /// <summary>SIGTSTP (20): terminal stop (Ctrl-Z).</summary>
    public const int TerminalStop = 20;

    /// <summary>The highest signal number Linux accepts (SIGRTMAX).</summary>
    public const int Max = 64;

    private static readonly string[] s_names =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>The name of a signal number ("SIGTERM"; "SIGRTMIN+3" for real-time signals).</summary>
    /// <param name="signal">The signal number.</param>
    public static string NameOf(int signal) => signal switch
    {
        >= 0 and < 32 => s_names[signal],
        >= 34 and <= Max => $"SIGRTMIN+{signal - 34}",
        _ => $"signal {signal}",
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ <paramref name="signal"/> ≤ <see cref="Max"/>.</summary>
    /// <param name="signal">The signal number.</param>
    /// <param name="paramName">The argument's name.</param>
    public static void Validate(int signal, string paramName = "signal")
    {
        if (signal < 1 || signal > Max)
        {
            throw new ArgumentOutOfRangeException(paramName, signal, $"A signal number is from 1 to {Max} (SIGTERM is 15, SIGKILL is 9).");
        }
    }
}
